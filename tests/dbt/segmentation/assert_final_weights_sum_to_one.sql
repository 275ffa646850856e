-- M4: for every technique and GRI type with at least one significant indicator,
-- the final weights sum to 1 (tolerance renormalisation).
select
    technique,
    gri_type,
    sum(final_weight) as total_weight
from {{ ref('indicator_weights') }}
group by technique, gri_type
having sum(case when is_significant then 1 else 0 end) > 0
    and abs(sum(final_weight) - 1) > 1e-9

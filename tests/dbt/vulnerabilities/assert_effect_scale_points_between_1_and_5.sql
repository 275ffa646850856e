-- M13: effect points must stay on a 1-5 scale (low/medium/high = 1/2/3 or '1'..'5').
with

effect_scale as (
    select * from {{ ref('effect_scale') }}
),

final as (
    select
        rating,
        points
    from effect_scale
    where points < 1 or points > 5
)

select * from final

{#- M6 (note Step 6): histogram of the GRI per GRI type, in bins of var gri_bin_width
    over [0, 1], with the bins holding the current cut-offs marked so experts can
    calibrate them. -#}
{%- set bins = ((1.0 / var('gri_bin_width')) | round | int) if execute else 20 -%}

with

gri as (
    select * from {{ ref('operator_gri') }}
),

bin_numbers as (
    {% for bin_no in range(bins) -%}
        select {{ bin_no }} as bin_no{% if not loop.last %}
            union all {% endif %}
    {% endfor %}
),

gri_types as (
    select distinct gri_type from gri
),

binned as (
    select
        gri_type,
        case
            when gri >= 1 then {{ bins - 1 }}
            else cast(floor(gri / {{ var('gri_bin_width') }}) as integer)
        end as bin_no
    from gri
),

counts as (
    select
        gri_type,
        bin_no,
        count(*) as operators
    from binned
    group by gri_type, bin_no
),

spine as (
    select
        gri_types.gri_type,
        bin_numbers.bin_no,
        bin_numbers.bin_no * {{ var('gri_bin_width') }} as bin_lower,
        (bin_numbers.bin_no + 1) * {{ var('gri_bin_width') }} as bin_upper
    from gri_types
    cross join bin_numbers
),

counts_in_type as (
    select
        spine.gri_type,
        spine.bin_no,
        coalesce(counts.operators, 0) as operators,
        sum(coalesce(counts.operators, 0)) over (partition by spine.gri_type) as type_operators,
        sum(coalesce(counts.operators, 0)) over (
            partition by spine.gri_type order by spine.bin_no rows between unbounded preceding and current row
        ) as cumulative_operators
    from spine
    left join counts
        on spine.gri_type = counts.gri_type
            and spine.bin_no = counts.bin_no
),

final as (
    select
        spine.gri_type,
        spine.bin_no,
        cast(spine.bin_lower as {{ type_double() }}) as bin_lower,
        cast(spine.bin_upper as {{ type_double() }}) as bin_upper,
        cast(counts_in_type.operators as integer) as operators,
        cast({{ safe_divide('counts_in_type.operators', 'counts_in_type.type_operators') }} as {{ type_double() }})
            as pct_operators,
        cast({{ safe_divide('counts_in_type.cumulative_operators', 'counts_in_type.type_operators') }} as {{ type_double() }})
            as cumulative_pct_operators,
        case
            when
                {{ var('risk_cutoff_high') }} >= spine.bin_lower and {{ var('risk_cutoff_high') }} < spine.bin_upper
                then 'high cut-off'
            when
                {{ var('risk_cutoff_medium') }} >= spine.bin_lower and {{ var('risk_cutoff_medium') }} < spine.bin_upper
                then 'medium cut-off'
        end as cutoff_marker,
        case
            when spine.bin_lower >= {{ var('risk_cutoff_high') }} then 'high'
            when spine.bin_lower >= {{ var('risk_cutoff_medium') }} then 'medium'
            else 'low'
        end as risk_level_at_bin_start
    from spine
    inner join counts_in_type
        on spine.gri_type = counts_in_type.gri_type
            and spine.bin_no = counts_in_type.bin_no
)

select {{ stable_select() }} from final

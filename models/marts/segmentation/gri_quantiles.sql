{#- M6: quantiles of the GRI per GRI type and how many operators each risk level
    holds under the current cut-offs (companion of gri_distribution). -#}

with

gri as (
    select * from {{ ref('operator_gri') }}
),

final as (
    select
        gri_type,
        cast(count(*) as integer) as operators,
        cast(avg(gri) as {{ type_double() }}) as mean_gri,
        cast({{ quantile('gri', 0.5) }} as {{ type_double() }}) as p50,
        cast({{ quantile('gri', 0.75) }} as {{ type_double() }}) as p75,
        cast({{ quantile('gri', 0.9) }} as {{ type_double() }}) as p90,
        cast({{ quantile('gri', 0.95) }} as {{ type_double() }}) as p95,
        cast({{ quantile('gri', 0.99) }} as {{ type_double() }}) as p99,
        cast(max(gri) as {{ type_double() }}) as max_gri,
        cast(sum(case when risk_level = 'high' then 1 else 0 end) as integer) as operators_high,
        cast(sum(case when risk_level = 'medium' then 1 else 0 end) as integer) as operators_medium,
        cast(sum(case when risk_level = 'low' then 1 else 0 end) as integer) as operators_low,
        cast({{ var('risk_cutoff_medium') }} as {{ type_double() }}) as cutoff_medium,
        cast({{ var('risk_cutoff_high') }} as {{ type_double() }}) as cutoff_high
    from gri
    group by gri_type
)

select {{ stable_select() }} from final

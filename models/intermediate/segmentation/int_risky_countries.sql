{#- M2: risky origin countries, from detected irregularities (derived) and/or the
    country risk list rating 'high' (reference), as var risky_reference_mode says. -#}
{%- set mode = var('risky_reference_mode') -%}

with

countries as (
    select * from {{ ref('stg_reference__country_risk') }}
),

derived as (
    {{ derived_risk_by('origin_country') | indent(4) }}
),

final as (
    select
        countries.country_code,
        countries.country_risk_rating,
        coalesce(derived.examined_lines, 0) as examined_lines,
        coalesce(derived.irregular_lines, 0) as irregular_lines,
        derived.hit_rate,
        coalesce(derived.is_derived_risky, false) as is_derived_risky,
        countries.country_risk_rating = 'high' as is_listed_high_risk,
        {% if mode == 'derived' -%}
            coalesce(derived.is_derived_risky, false)
        {%- elif mode == 'reference' -%}
            countries.country_risk_rating = 'high'
        {%- else -%}
            (coalesce(derived.is_derived_risky, false) or countries.country_risk_rating = 'high')
        {%- endif %} as is_risky
    from countries
    left join derived
        on countries.country_code = derived.origin_country
)

select * from final

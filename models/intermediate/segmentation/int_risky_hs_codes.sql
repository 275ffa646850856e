{#- M2/M8: risky tariff lines, from detected irregularities (derived) and/or the
    sensitive goods list (reference), as var risky_reference_mode says. -#}
{%- set mode = var('risky_reference_mode') -%}

with

nomenclature as (
    select * from {{ ref('stg_reference__hs_nomenclature') }}
),

sensitive_goods as (
    select * from {{ ref('stg_reference__sensitive_goods') }}
),

derived as (
    {{ derived_risk_by('hs_code') | indent(4) }}
),

listed as (
    select
        nomenclature.hs_code,
        count(sensitive_goods.hs_prefix) > 0 as is_listed_sensitive
    from nomenclature
    left join sensitive_goods
        on substr(nomenclature.hs_code, 1, length(sensitive_goods.hs_prefix)) = sensitive_goods.hs_prefix
    group by nomenclature.hs_code
),

final as (
    select
        listed.hs_code,
        coalesce(derived.examined_lines, 0) as examined_lines,
        coalesce(derived.irregular_lines, 0) as irregular_lines,
        derived.hit_rate,
        coalesce(derived.is_derived_risky, false) as is_derived_risky,
        listed.is_listed_sensitive,
        {% if mode == 'derived' -%}
            coalesce(derived.is_derived_risky, false)
        {%- elif mode == 'reference' -%}
            listed.is_listed_sensitive
        {%- else -%}
            (coalesce(derived.is_derived_risky, false) or listed.is_listed_sensitive)
        {%- endif %} as is_risky
    from listed
    left join derived
        on listed.hs_code = derived.hs_code
)

select * from final

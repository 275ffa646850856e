{#- M8 (note footnote 8): sensitive tariff lines, from the reference list and/or
    derived from the window: frequent exemptions, frequent value or classification
    adjustments found at examination, non-tariff restrictions (var sensitive_hs_mode). -#}
{%- set mode = var('sensitive_hs_mode') -%}

with

risky_hs_codes as (
    select * from {{ ref('int_risky_hs_codes') }}
),

nomenclature as (
    select * from {{ ref('stg_reference__hs_nomenclature') }}
),

examined_lines as (
    select * from {{ ref('int_examined_lines') }}
),

import_lines as (
    select
        hs_code,
        count(*) as import_lines,
        sum(case when is_exempt then 1 else 0 end) as exempt_lines
    from {{ ref('int_declarations_in_window') }}
    where flow = 'I'
    group by hs_code
),

overall_adjustments as (
    select
        {{ safe_divide('sum(case when has_value_or_classification_finding then 1 else 0 end)', 'count(*)') }}
            as overall_adjustment_rate
    from examined_lines
),

adjustments as (
    select
        hs_code,
        count(*) as examined_lines,
        sum(case when has_value_or_classification_finding then 1 else 0 end) as adjusted_lines
    from examined_lines
    group by hs_code
),

criteria as (
    select
        nomenclature.hs_code,
        risky_hs_codes.is_listed_sensitive,
        coalesce(
            import_lines.import_lines >= {{ var('risky_min_examined_lines') }}
            and {{ safe_divide('import_lines.exempt_lines', 'import_lines.import_lines') }}
            >= {{ var('sensitive_min_exempt_share') }},
            false
        ) as is_frequently_exempt,
        {{ is_risky_by_lift(
            'adjustments.adjusted_lines', 'adjustments.examined_lines', 'overall_adjustments.overall_adjustment_rate'
        ) }} as is_frequently_adjusted,
        nomenclature.is_restricted
    from nomenclature
    inner join risky_hs_codes
        on nomenclature.hs_code = risky_hs_codes.hs_code
    left join import_lines
        on nomenclature.hs_code = import_lines.hs_code
    left join adjustments
        on nomenclature.hs_code = adjustments.hs_code
    cross join overall_adjustments
),

final as (
    select
        hs_code,
        is_listed_sensitive,
        is_frequently_exempt,
        is_frequently_adjusted,
        is_restricted,
        concat_ws(
            ', ',
            case when is_listed_sensitive then 'reference list' end,
            case when is_frequently_exempt then 'frequent exemptions' end,
            case when is_frequently_adjusted then 'frequent value/classification adjustments' end,
            case when is_restricted then 'non-tariff restrictions' end
        ) as sensitivity_reasons
    from criteria
    where
        {% if mode == 'reference' -%}
            is_listed_sensitive
        {%- elif mode == 'derived' -%}
            (is_frequently_exempt or is_frequently_adjusted or is_restricted)
        {%- else -%}
            (is_listed_sensitive or is_frequently_exempt or is_frequently_adjusted or is_restricted)
        {%- endif %}
)

select * from final

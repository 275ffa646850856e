{#- M10 (point in time): per month, the brokers, tariff lines and origin countries that
    were risky on the first day of the month, from examinations CLOSED before that day
    over the preceding var window_months (the M2 rule of macro is_risky_by_lift), plus
    the static reference lists as var risky_reference_mode says (reference lists are
    assumed known in advance).
    One row per month, dimension and risky value. -#}
{%- set mode = var('risky_reference_mode') -%}
{%- set sources = {'derived': ["'derived'"], 'reference': ["'reference'"]}.get(mode, ["'derived'", "'reference'"]) -%}
{%- set dimensions = ['declarant_id', 'hs_code', 'origin_country'] -%}

with

months as (
    select month_start from {{ ref('int_declaration_months') }}
),

examinations as (
    select * from {{ ref('int_examinations_dated') }}
),

by_month as (
    {% for dimension in dimensions %}
        select
            '{{ dimension }}' as dimension,
            {{ dimension }} as dimension_value,
            control_month,
            count(*) as examined_lines,
            sum(case when is_irregular then 1 else 0 end) as irregular_lines
        from examinations
        where {{ dimension }} is not null
        group by {{ dimension }}, control_month
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

trailing_window as (
    select
        months.month_start,
        by_month.dimension,
        by_month.dimension_value,
        sum(by_month.examined_lines) as examined_lines,
        sum(by_month.irregular_lines) as irregular_lines
    from months
    inner join by_month
        on months.month_start > by_month.control_month
            and by_month.control_month
            >= cast({{ dbt.dateadd('month', -1 * (var('window_months') | int), 'months.month_start') }} as date)
    group by months.month_start, by_month.dimension, by_month.dimension_value
),

overall as (
    select
        month_start,
        dimension,
        {{ safe_divide('sum(irregular_lines)', 'sum(examined_lines)') }} as overall_hit_rate
    from trailing_window
    group by month_start, dimension
),

derived as (
    select
        trailing_window.month_start,
        trailing_window.dimension,
        trailing_window.dimension_value,
        'derived' as risk_source
    from trailing_window
    inner join overall
        on trailing_window.month_start = overall.month_start
            and trailing_window.dimension = overall.dimension
    where {{ is_risky_by_lift(
        'trailing_window.irregular_lines', 'trailing_window.examined_lines', 'overall.overall_hit_rate'
    ) }}
),

listed as (
    select
        months.month_start,
        'hs_code' as dimension,
        risky_hs_codes.hs_code as dimension_value,
        'reference' as risk_source
    from months
    cross join {{ ref('int_risky_hs_codes') }} as risky_hs_codes
    where risky_hs_codes.is_listed_sensitive
    union all
    select
        months.month_start,
        'origin_country' as dimension,
        risky_countries.country_code as dimension_value,
        'reference' as risk_source
    from months
    cross join {{ ref('int_risky_countries') }} as risky_countries
    where risky_countries.is_listed_high_risk
),

combined as (
    select * from derived
    union all
    select * from listed
),

final as (
    select
        month_start,
        dimension,
        dimension_value,
        {{ dbt.listagg('risk_source', "', '", 'order by risk_source') }} as risk_sources
    from combined
    where risk_source in ({{ sources | join(', ') }})
    group by month_start, dimension, dimension_value
)

select * from final

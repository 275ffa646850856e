{#- M17 (note Box 2, strategic level): the value of each strategic KPI per period grain,
    period and dimension, before the period-on-period comparison. -#}

with

declarations as (
    select * from {{ ref('int_kpi_declarations_periodised') }}
),

trader_survey as (
    select * from {{ ref('stg_customs__trader_survey') }}
),

declaration_releases as (
    select
        period_grain,
        period_start,
        declaration_id,
        max(transport_mode) as transport_mode,
        max(release_hours) as release_hours
    from declarations
    group by period_grain, period_start, declaration_id
),

totals as (
    select
        period_grain,
        period_start,
        sum(case when is_import_for_consumption then customs_value_usd else 0 end) as cif_imports_consumption_usd,
        sum(customs_value_usd) as trade_value_usd,
        sum(duty_paid_usd) as duty_usd,
        sum(vat_paid_usd) as vat_usd,
        sum(excise_paid_usd) as excise_usd,
        sum(collection_usd) as collection_usd
    from declarations
    group by period_grain, period_start
),

chapters as (
    select
        period_grain,
        period_start,
        hs_chapter,
        sum(case when is_import_for_consumption then customs_value_usd else 0 end) as cif_imports_consumption_usd,
        sum(collection_usd) as collection_usd
    from declarations
    group by period_grain, period_start, hs_chapter
),

totals_long as (
    select
        period_grain,
        period_start,
        'cif_imports_consumption_usd' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        cif_imports_consumption_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'trade_value_usd' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        trade_value_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_usd' as kpi_code,
        'tax' as dimension_name,
        'all' as dimension_value,
        collection_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_usd' as kpi_code,
        'tax' as dimension_name,
        'duty' as dimension_value,
        duty_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_usd' as kpi_code,
        'tax' as dimension_name,
        'vat' as dimension_value,
        vat_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_usd' as kpi_code,
        'tax' as dimension_name,
        'excise' as dimension_value,
        excise_usd as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_to_cif_ratio' as kpi_code,
        'tax' as dimension_name,
        'all' as dimension_value,
        {{ safe_divide('collection_usd', 'cif_imports_consumption_usd') }} as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_to_cif_ratio' as kpi_code,
        'tax' as dimension_name,
        'duty' as dimension_value,
        {{ safe_divide('duty_usd', 'cif_imports_consumption_usd') }} as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_to_cif_ratio' as kpi_code,
        'tax' as dimension_name,
        'vat' as dimension_value,
        {{ safe_divide('vat_usd', 'cif_imports_consumption_usd') }} as kpi_value
    from totals
    union all
    select
        period_grain,
        period_start,
        'collection_to_cif_ratio' as kpi_code,
        'tax' as dimension_name,
        'excise' as dimension_value,
        {{ safe_divide('excise_usd', 'cif_imports_consumption_usd') }} as kpi_value
    from totals
),

chapters_long as (
    select
        period_grain,
        period_start,
        'cif_imports_consumption_usd' as kpi_code,
        'hs_chapter' as dimension_name,
        hs_chapter as dimension_value,
        cif_imports_consumption_usd as kpi_value
    from chapters
    union all
    select
        period_grain,
        period_start,
        'collection_usd' as kpi_code,
        'hs_chapter' as dimension_name,
        hs_chapter as dimension_value,
        collection_usd as kpi_value
    from chapters
    union all
    select
        period_grain,
        period_start,
        'collection_to_cif_ratio' as kpi_code,
        'hs_chapter' as dimension_name,
        hs_chapter as dimension_value,
        {{ safe_divide('collection_usd', 'cif_imports_consumption_usd') }} as kpi_value
    from chapters
),

release_times as (
    select
        period_grain,
        period_start,
        transport_mode,
        avg(release_hours) as release_hours_mean,
        {{ median('release_hours') }} as release_hours_median
    from declaration_releases
    where release_hours is not null
    group by period_grain, period_start, transport_mode
    union all
    select
        period_grain,
        period_start,
        'all' as transport_mode,
        avg(release_hours) as release_hours_mean,
        {{ median('release_hours') }} as release_hours_median
    from declaration_releases
    where release_hours is not null
    group by period_grain, period_start
),

release_times_long as (
    select
        period_grain,
        period_start,
        'release_hours_mean' as kpi_code,
        'transport_mode' as dimension_name,
        transport_mode as dimension_value,
        release_hours_mean as kpi_value
    from release_times
    union all
    select
        period_grain,
        period_start,
        'release_hours_median' as kpi_code,
        'transport_mode' as dimension_name,
        transport_mode as dimension_value,
        release_hours_median as kpi_value
    from release_times
),

survey_periodised as (
    {% for grain in ['month', 'quarter', 'year'] %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'survey_date') }} as date) as period_start,
            question_code,
            respondents,
            mean_score
        from trader_survey
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

perception_long as (
    select
        period_grain,
        period_start,
        'trader_perception_score' as kpi_code,
        'question_code' as dimension_name,
        question_code as dimension_value,
        {{ safe_divide('sum(mean_score * respondents)', 'sum(respondents)') }} as kpi_value
    from survey_periodised
    group by period_grain, period_start, question_code
),

final as (
    select * from totals_long
    union all
    select * from chapters_long
    union all
    select * from release_times_long
    union all
    select * from perception_long
)

select * from final

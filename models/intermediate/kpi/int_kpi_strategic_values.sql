{#- M17 (note Box 2, strategic level): the value of each strategic KPI per period grain,
    period and dimension, before the period-on-period comparison. Amounts are summed per
    month and HS chapter from the declaration lines, then added up to quarters and years;
    release times come from the per-period histogram of declarations' release hours in
    int_kpi_declarations_summarised (mean and median over declarations, exact). -#}
{%- set grains = ['month', 'quarter', 'year'] -%}
{%- set regime_list = "'" ~ (var('kpi_consumption_regimes') | join("', '")) ~ "'" -%}

with

declaration_lines as (
    select * from {{ ref('stg_customs__declarations') }}
),

declarations_summarised as (
    select * from {{ ref('int_kpi_declarations_summarised') }}
),

trader_survey as (
    select * from {{ ref('stg_customs__trader_survey') }}
),

chapter_months as (
    select
        cast({{ dbt.date_trunc('month', 'declaration_date') }} as date) as month_start,
        coalesce(hs_chapter, 'unknown') as hs_chapter,
        sum(
            case when flow = 'I' and regime in ({{ regime_list }}) then customs_value_usd else 0 end
        ) as cif_imports_consumption_usd,
        sum(customs_value_usd) as trade_value_usd,
        sum(duty_paid_usd) as duty_usd,
        sum(vat_paid_usd) as vat_usd,
        sum(excise_paid_usd) as excise_usd,
        sum(duty_paid_usd + vat_paid_usd + excise_paid_usd) as collection_usd
    from declaration_lines
    group by
        cast({{ dbt.date_trunc('month', 'declaration_date') }} as date),
        coalesce(hs_chapter, 'unknown')
),

chapter_months_periodised as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
            hs_chapter,
            cif_imports_consumption_usd,
            trade_value_usd,
            duty_usd,
            vat_usd,
            excise_usd,
            collection_usd
        from chapter_months
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

chapters as (
    select
        period_grain,
        period_start,
        hs_chapter,
        sum(cif_imports_consumption_usd) as cif_imports_consumption_usd,
        sum(trade_value_usd) as trade_value_usd,
        sum(duty_usd) as duty_usd,
        sum(vat_usd) as vat_usd,
        sum(excise_usd) as excise_usd,
        sum(collection_usd) as collection_usd
    from chapter_months_periodised
    group by period_grain, period_start, hs_chapter
),

totals as (
    select
        period_grain,
        period_start,
        sum(cif_imports_consumption_usd) as cif_imports_consumption_usd,
        sum(trade_value_usd) as trade_value_usd,
        sum(duty_usd) as duty_usd,
        sum(vat_usd) as vat_usd,
        sum(excise_usd) as excise_usd,
        sum(collection_usd) as collection_usd
    from chapters
    group by period_grain, period_start
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

release_hours_histogram as (
    select
        period_grain,
        period_start,
        transport_mode,
        release_hours,
        declarations,
        release_hours_sum
    from declarations_summarised
    where breakdown = 'release_hours'
    union all
    select
        period_grain,
        period_start,
        'all' as transport_mode,
        release_hours,
        sum(declarations) as declarations,
        sum(release_hours_sum) as release_hours_sum
    from declarations_summarised
    where breakdown = 'release_hours'
    group by period_grain, period_start, release_hours
),

-- the median from the histogram: with n declarations in the group, ordered by
-- release_hours, the median is the mean of the values at positions ceil(n/2) and
-- floor(n/2) + 1 (the same value when n is odd). A value covers the positions
-- (declarations_before, declarations_before + declarations].
release_hours_positioned as (
    select
        period_grain,
        period_start,
        transport_mode,
        release_hours,
        declarations,
        release_hours_sum,
        sum(declarations) over (
            partition by period_grain, period_start, transport_mode
            order by release_hours
            rows between unbounded preceding and current row
        ) - declarations as declarations_before,
        sum(declarations) over (
            partition by period_grain, period_start, transport_mode
        ) as declarations_total
    from release_hours_histogram
),

release_times as (
    select
        period_grain,
        period_start,
        transport_mode,
        {{ safe_divide('sum(release_hours_sum)', 'sum(declarations)') }} as release_hours_mean,
        (
            max(case when 2 * declarations_before < declarations_total
                    and declarations_total <= 2 * (declarations_before + declarations) then release_hours
            end)
            + max(case when 2 * declarations_before <= declarations_total
                    and declarations_total < 2 * (declarations_before + declarations) then release_hours
            end)
        ) / 2 as release_hours_median
    from release_hours_positioned
    group by period_grain, period_start, transport_mode
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

{#- M17, M18: the declarations of every reporting period (month, quarter, year of the
    declaration date), counted once for the strategic and tactical KPIs. A declaration
    counts once in a period, with the attributes the KPI formulas give it over its lines
    of the period: flow, channel and transport mode = the max (null read as 'unknown' for
    channel and transport mode), is_aeo = any AEO line, release_hours = the max.
    Two breakdowns, told apart by the column breakdown:
      flow_channel   per flow, channel and is_aeo: declarations, customs_value_usd of
                     their lines and of their AEO lines;
      release_hours  per transport_mode and release_hours (not null): declarations, and
                     the sum of their release hours. A histogram: the mean and the median
                     of a period follow exactly (int_kpi_strategic_values).
    The lines are read and grouped by declaration once. A declaration whose lines all fall
    in one month (every declaration in the generated data) is counted in that month, and
    the months are added up to quarters and years. A declaration whose lines span months
    is regrouped from its lines for each period, like any other in the old line-level
    models: once per period it touches, with the attributes of its lines in it. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

declaration_lines as (
    select
        declaration_id,
        cast({{ dbt.date_trunc('month', 'declaration_date') }} as date) as month_start,
        flow,
        coalesce(channel, 'unknown') as channel,
        coalesce(transport_mode, 'unknown') as transport_mode,
        is_aeo,
        customs_value_usd,
        release_hours
    from {{ ref('stg_customs__declarations') }}
),

declarations as (
    select
        declaration_id,
        min(month_start) as month_start,
        coalesce(min(month_start) = max(month_start) and count(month_start) = count(*), false) as is_single_month,
        max(flow) as flow,
        max(channel) as channel,
        max(transport_mode) as transport_mode,
        max(case when is_aeo then 1 else 0 end) = 1 as is_aeo,
        sum(customs_value_usd) as customs_value_usd,
        sum(case when is_aeo then customs_value_usd else 0 end) as aeo_value_usd,
        max(release_hours) as release_hours
    from declaration_lines
    group by declaration_id
),

-- one pass over the declarations (a few hundred thousand groups): single-month
-- declarations by month and attributes; a declaration spanning months keeps its own row
-- (split_declaration_id), to be regrouped from its lines per period below
declaration_groups as (
    select
        case when is_single_month then month_start end as month_start,
        case when not is_single_month then declaration_id end as split_declaration_id,
        flow,
        channel,
        is_aeo,
        transport_mode,
        release_hours,
        count(*) as declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd,
        sum(release_hours) as release_hours_sum
    from declarations
    group by
        case when is_single_month then month_start end,
        case when not is_single_month then declaration_id end,
        flow,
        channel,
        is_aeo,
        transport_mode,
        release_hours
),

single_month_flow_channel as (
    select
        month_start,
        flow,
        channel,
        is_aeo,
        sum(declarations) as declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd
    from declaration_groups
    where split_declaration_id is null
    group by month_start, flow, channel, is_aeo
),

single_month_release_hours as (
    select
        month_start,
        transport_mode,
        release_hours,
        sum(declarations) as declarations,
        sum(release_hours_sum) as release_hours_sum
    from declaration_groups
    where split_declaration_id is null and release_hours is not null
    group by month_start, transport_mode, release_hours
),

-- declarations spanning months (none in the generated data); their lines are read from
-- the staging view again, so that the line CTE above has one consumer and is streamed
split_declarations as (
    select split_declaration_id as declaration_id
    from declaration_groups
    where split_declaration_id is not null
),

split_lines as (
    select
        lines.declaration_id,
        lines.declaration_date,
        lines.flow,
        coalesce(lines.channel, 'unknown') as channel,
        coalesce(lines.transport_mode, 'unknown') as transport_mode,
        lines.is_aeo,
        lines.customs_value_usd,
        lines.release_hours
    from {{ ref('stg_customs__declarations') }} as lines
    inner join split_declarations
        on lines.declaration_id = split_declarations.declaration_id
),

split_lines_periodised as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'declaration_date') }} as date) as period_start,
            declaration_id,
            flow,
            channel,
            transport_mode,
            is_aeo,
            customs_value_usd,
            release_hours
        from split_lines
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

split_declaration_periods as (
    select
        period_grain,
        period_start,
        declaration_id,
        max(flow) as flow,
        max(channel) as channel,
        max(transport_mode) as transport_mode,
        max(case when is_aeo then 1 else 0 end) = 1 as is_aeo,
        sum(customs_value_usd) as customs_value_usd,
        sum(case when is_aeo then customs_value_usd else 0 end) as aeo_value_usd,
        max(release_hours) as release_hours
    from split_lines_periodised
    group by period_grain, period_start, declaration_id
),

flow_channel_parts as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
            flow,
            channel,
            is_aeo,
            declarations,
            customs_value_usd,
            aeo_value_usd
        from single_month_flow_channel
        union all
    {% endfor %}
    select
        period_grain,
        period_start,
        flow,
        channel,
        is_aeo,
        1 as declarations,
        customs_value_usd,
        aeo_value_usd
    from split_declaration_periods
),

release_hours_parts as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
            transport_mode,
            release_hours,
            declarations,
            release_hours_sum
        from single_month_release_hours
        union all
    {% endfor %}
    select
        period_grain,
        period_start,
        transport_mode,
        release_hours,
        1 as declarations,
        release_hours as release_hours_sum
    from split_declaration_periods
    where release_hours is not null
),

flow_channel as (
    select
        period_grain,
        period_start,
        'flow_channel' as breakdown,
        flow,
        channel,
        is_aeo,
        cast(null as {{ dbt.type_string() }}) as transport_mode,
        cast(null as {{ type_double() }}) as release_hours,
        cast(sum(declarations) as bigint) as declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd,
        cast(null as {{ type_double() }}) as release_hours_sum
    from flow_channel_parts
    group by period_grain, period_start, flow, channel, is_aeo
),

release_hours_histogram as (
    select
        period_grain,
        period_start,
        'release_hours' as breakdown,
        cast(null as {{ dbt.type_string() }}) as flow,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as boolean) as is_aeo,
        transport_mode,
        release_hours,
        cast(sum(declarations) as bigint) as declarations,
        cast(null as {{ type_double() }}) as customs_value_usd,
        cast(null as {{ type_double() }}) as aeo_value_usd,
        sum(release_hours_sum) as release_hours_sum
    from release_hours_parts
    group by period_grain, period_start, transport_mode, release_hours
),

final as (
    select * from flow_channel
    union all
    select * from release_hours_histogram
)

select * from final

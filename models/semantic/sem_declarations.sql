{#- M17, M18: one row per declaration for the semantic layer (docs/semantic_layer.md),
    with the attributes the KPI formulas give a declaration over its lines: flow, channel
    and transport mode = the max (null read as 'unknown' for channel and transport mode),
    is_aeo = any AEO line, release_hours = the max, dated by its first line. The same rules
    as int_kpi_declarations_summarised, so the metrics equal the KPI marts. -#}

with

declaration_lines as (
    select * from {{ ref('stg_customs__declarations') }}
),

final as (
    select
        declaration_id,
        min(declaration_date) as declaration_date,
        max(tin) as tin,
        max(flow) as flow,
        max(coalesce(channel, 'unknown')) as channel,
        max(coalesce(transport_mode, 'unknown')) as transport_mode,
        max(case when is_aeo then 1 else 0 end) = 1 as is_aeo,
        sum(customs_value_usd) as customs_value_usd,
        sum(case when is_aeo then customs_value_usd else 0 end) as aeo_value_usd,
        max(release_hours) as release_hours
    from declaration_lines
    group by declaration_id
)

select * from final

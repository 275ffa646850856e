{#- M2: which indicators of the catalogue are active in this run. An indicator is
    inactive when the catalogue disables it or when a source it needs is absent; it
    is then reported here and left out of the flags (never zero-filled). -#}

with

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

inventory as (
    select
        *,
        source_name || '.' || table_name as source_table
    from {{ ref('stg_source_inventory') }}
),

missing_sources as (
    select
        catalogue.indicator_code,
        {{ dbt.listagg('inventory.source_table', "', '", 'order by inventory.source_table') }} as missing_sources
    from catalogue
    inner join inventory
        on {{ pipe_list_contains('catalogue.required_sources', 'inventory.source_table') }}
    where not inventory.is_available
    group by catalogue.indicator_code
),

final as (
    select
        catalogue.indicator_code,
        catalogue.category,
        catalogue.indicator_name,
        catalogue.is_enabled,
        missing_sources.missing_sources,
        catalogue.is_enabled and missing_sources.indicator_code is null as is_active,
        case
            when not catalogue.is_enabled then 'disabled in the indicator catalogue'
            when missing_sources.indicator_code is not null then 'source absent: ' || missing_sources.missing_sources
        end as inactive_reason
    from catalogue
    left join missing_sources
        on catalogue.indicator_code = missing_sources.indicator_code
)

select * from final

{{ config(materialized='table') }}
{#- One row per raw input: present or not, where it was read from, and the row
    reconciliation raw = staged + rejected + superseded (tested). -#}

with

rejected as (
    select
        source_name,
        table_name,
        count(*) as rejected_rows
    from {{ ref('stg_quarantine__rejected_rows') }}
    group by source_name, table_name
),

superseded as (
    select count(*) as superseded_rows
    from {{ ref('base_customs__declarations') }}
    where _row_status = 'superseded'
),

counts as (
    {% for source_name, table_name, staging_model in raw_source_tables() %}
        select
            '{{ source_name }}' as source_name,
            '{{ table_name }}' as table_name,
            {{ 'false' if execute and source_is_optional(source_name, table_name) else 'true' }} as is_required,
            {{ 'true' if source_is_available(source_name, table_name) else 'false' }} as is_available,
            ({{ raw_row_count(source_name, table_name) }}) as raw_rows,
            (select count(*) from {{ ref(staging_model) }}) as staged_rows
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        counts.source_name,
        counts.table_name,
        counts.is_required,
        counts.is_available,
        counts.raw_rows,
        counts.staged_rows,
        coalesce(rejected.rejected_rows, 0) as rejected_rows,
        case when counts.table_name = 'declarations' then superseded.superseded_rows else 0 end as superseded_rows
    from counts
    left join rejected
        on counts.source_name = rejected.source_name
            and counts.table_name = rejected.table_name
    cross join superseded
)

select * from final

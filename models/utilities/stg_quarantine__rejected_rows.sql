{{ config(materialized='table') }}
{#- Every raw row that breaks the source contract, with all its reasons. Nothing is
    dropped silently: raw = staged + rejected + superseded (stg_source_inventory). -#}

{% for source_name, table_name, staging_model in raw_source_tables() %}
    {%- set key = source_key_columns(source_name, table_name) if execute else [] %}
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as table_name,
        _source_file as source_file,
        {% if key -%}
            concat_ws('|', {% for column in key %}coalesce(cast({{ column }} as {{ type_text() }}), '<null>'){{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
            cast(null as {{ type_text() }})
        {%- endif %} as row_key,
        _reject_reasons as reject_reasons
    from {{ ref('base_' ~ source_name ~ '__' ~ table_name) }}
    where _reject_reasons <> ''
    {% if not loop.last %}union all{% endif %}
{% endfor %}

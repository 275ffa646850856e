{#- The calendar date in UTC of a raw value (issue 16: the machine's time zone never
    matters). source_type is the raw column's type: a timestamp with time zone is
    converted to UTC first; text with a zone suffix (Z, +hh, +hh:mm, +hhmm) is read as
    such and converted; text or a timestamp without zone is taken as written. -#}
{% macro to_utc_date(expr, source_type) -%}
    {{ return(adapter.dispatch('to_utc_date', 'customs_cip')(expr, source_type)) }}
{%- endmacro %}

{% macro default__to_utc_date(expr, source_type) -%}
    {%- set kind = source_type | upper -%}
    {%- if kind == 'DATE' -%}
        {{ expr }}
    {%- elif 'WITH TIME ZONE' in kind or kind == 'TIMESTAMPTZ' -%}
        cast(timezone('UTC', {{ expr }}) as date)
    {%- elif 'TIMESTAMP' in kind -%}
        cast({{ expr }} as date)
    {%- else -%}
        case
            when length({{ expr }}) > 10 and {{ regexp_like(expr, '.*[0-9](Z|[+-][0-9]{2}(:?[0-9]{2})?)') }}
                then cast(timezone('UTC', {{ try_cast(expr, 'timestamptz') }}) as date)
            else {{ try_cast(expr, 'date') }}
        end
    {%- endif -%}
{%- endmacro %}

{#- Spark: the session time zone is UTC (profiles.yml), so a timestamp's date is its UTC
    date, and text with a zone suffix is read as that instant. -#}
{% macro spark__to_utc_date(expr, source_type) -%}
    {%- set kind = source_type | upper -%}
    {%- if kind == 'DATE' -%}
        {{ expr }}
    {%- elif 'TIMESTAMP' in kind -%}
        cast({{ expr }} as date)
    {%- else -%}
        case
            when length({{ expr }}) > 10 and {{ regexp_like(expr, '.*[0-9](Z|[+-][0-9]{2}(:?[0-9]{2})?)') }}
                then cast({{ try_cast(expr, 'timestamp') }} as date)
            else {{ try_cast(expr, 'date') }}
        end
    {%- endif -%}
{%- endmacro %}

{#- Reason text (or null) for a double that is NaN, infinite or beyond max_abs in
    absolute value (issue 16). -#}
{% macro number_out_of_range_reason(expr, column_name, max_abs) -%}
    {{ return(adapter.dispatch('number_out_of_range_reason', 'customs_cip')(expr, column_name, max_abs)) }}
{%- endmacro %}

{% macro default__number_out_of_range_reason(expr, column_name, max_abs) -%}
    case
        when abs({{ expr }}) <= {{ max_abs }} then null
        when {{ expr }} is null then null
        when {{ is_nan(expr) }} then '{{ column_name }} is NaN'
        when abs({{ expr }}) = cast('Infinity' as double precision) then '{{ column_name }} is infinite'
        else '{{ column_name }} out of range (absolute value above {{ max_abs }})'
    end
{%- endmacro %}

{% macro duckdb__number_out_of_range_reason(expr, column_name, max_abs) -%}
    {#- Only isfinite() here: DuckDB folds isnan(), isinf() and abs(x) <= max_abs from the
        Parquet column statistics, which leave NaN out. -#}
    case
        when isfinite({{ expr }}) then
            case when abs({{ expr }}) > {{ max_abs }} then '{{ column_name }} out of range (absolute value above {{ max_abs }})' end
        when {{ expr }} is null then null
        when lower(cast({{ expr }} as varchar)) like '%nan%' then '{{ column_name }} is NaN'
        else '{{ column_name }} is infinite'
    end
{%- endmacro %}

{% macro is_nan(expr) -%}
    {{ return(adapter.dispatch('is_nan', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__is_nan(expr) -%}
    ({{ expr }} <> {{ expr }})
{%- endmacro %}

{% macro duckdb__is_nan(expr) -%}
    isnan({{ expr }})
{%- endmacro %}

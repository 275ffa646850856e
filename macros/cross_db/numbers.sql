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

{#- round(x, digits) of a double, as a double. Postgres rounds numeric only, and its
    double -> numeric cast keeps 15 digits (0.1346155, stored as 0.134615499999...,
    rounds up there and down on DuckDB): cip_round() rounds the exact value as DuckDB
    does (postgres__cip_engine_setup). -#}
{% macro round_double(expr, digits) -%}
    {{ return(adapter.dispatch('round_double', 'customs_cip')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_double(expr, digits) -%}
    {{ target.schema }}.cip_round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro duckdb__round_double(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_double(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{#- True when the double is neither NaN nor infinite (null stays null). -#}
{% macro is_finite(expr) -%}
    {{ return(adapter.dispatch('is_finite', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__is_finite(expr) -%}
    ({{ expr }} not in (cast('NaN' as {{ type_double() }}), cast('Infinity' as {{ type_double() }}), cast('-Infinity' as {{ type_double() }})))
{%- endmacro %}

{% macro duckdb__is_finite(expr) -%}
    isfinite({{ expr }})
{%- endmacro %}

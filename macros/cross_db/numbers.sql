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

{#- Spark rounds a double through its shortest decimal text (0.145, stored as
    0.14499999..., rounds up to 0.15; DuckDB gives 0.14): the exact value is rounded here as
    cip_round does on Postgres (postgres__cip_engine_setup). The value and the digits are
    bound once, as a lambda's argument: written out, the formula repeats its argument some 40
    times, and Spark inlines a rounded column into the next rounding (stable_select), which
    multiplied the plan until the driver ran out of memory. -#}
{% macro spark__round_double(expr, digits) -%}
    {%- set a = 'abs(v.x)' -%}
    {%- set p = 'power(10.0D, v.n)' -%}
    {%- set y = '(abs(v.x) * power(10.0D, v.n))' -%}
    {%- set f = 'cast(floor(' ~ y ~ ') as double)' -%}
    {#- the product's rounding error (Dekker's TwoProduct, Veltkamp splitting) decides a tie -#}
    {%- set a_hi = '(134217729.0D * ' ~ a ~ ' - (134217729.0D * ' ~ a ~ ' - ' ~ a ~ '))' -%}
    {%- set p_hi = '(134217729.0D * ' ~ p ~ ' - (134217729.0D * ' ~ p ~ ' - ' ~ p ~ '))' -%}
    {%- set a_lo = '(' ~ a ~ ' - ' ~ a_hi ~ ')' -%}
    {%- set p_lo = '(' ~ p ~ ' - ' ~ p_hi ~ ')' -%}
    {%- set err = '(((' ~ a_hi ~ ' * ' ~ p_hi ~ ' - ' ~ y ~ ') + ' ~ a_hi ~ ' * ' ~ p_lo ~ ' + ' ~ a_lo ~ ' * ' ~ p_hi
        ~ ') + ' ~ a_lo ~ ' * ' ~ p_lo ~ ')' -%}
    element_at(transform(array(named_struct('x', cast({{ expr }} as double), 'n', cast({{ digits }} as int))), v ->
        case
            when v.x is null or v.n is null or v.x = 0 or isnan(v.x) or abs(v.x) = double('Infinity') then v.x
            when v.n < 0 then signum(v.x) * floor(abs(v.x) / power(10.0D, -v.n) + 0.5D) * power(10.0D, -v.n)
            when {{ y }} >= 4503599627370496.0D then v.x
            when {{ y }} - {{ f }} > 0.5D or ({{ y }} - {{ f }} = 0.5D and {{ err }} >= 0)
                then signum(v.x) * ({{ f }} + 1) / {{ p }}
            else signum(v.x) * {{ f }} / {{ p }}
        end), 1)
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

{#- Spark: NaN equals NaN (so x <> x never holds), and `double precision` is no type name. -#}
{% macro spark__is_nan(expr) -%}
    isnan({{ expr }})
{%- endmacro %}

{% macro spark__number_out_of_range_reason(expr, column_name, max_abs) -%}
    case
        when abs({{ expr }}) <= {{ max_abs }} then null
        when {{ expr }} is null then null
        when isnan({{ expr }}) then '{{ column_name }} is NaN'
        when abs({{ expr }}) = double('Infinity') then '{{ column_name }} is infinite'
        else '{{ column_name }} out of range (absolute value above {{ max_abs }})'
    end
{%- endmacro %}

{#- A double cut to its whole part (toward zero), as a double: trunc(x). Spark's trunc is
    the date function (trunc(date, fmt)); there x - x % 1 gives the same, NaN and
    infinities kept as they are. -#}
{% macro trunc_double(expr) -%}
    {{ return(adapter.dispatch('trunc_double', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__trunc_double(expr) -%}
    trunc({{ expr }})
{%- endmacro %}

{% macro spark__trunc_double(expr) -%}
    (case when isnan({{ expr }}) or abs({{ expr }}) = double('Infinity') then {{ expr }} else {{ expr }} - {{ expr }} % 1 end)
{%- endmacro %}

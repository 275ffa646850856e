{#- cast that yields null instead of failing, so unreadable raw values can be
    quarantined with a reason rather than stopping the run. -#}
{% macro try_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'customs_cip')(expr, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expr, data_type) -%}
    {{ dbt.safe_cast(expr, data_type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{#- Spark: values are held to DuckDB's shapes first, as on Postgres (Spark's cast also
    reads '1d' as a number and '2020' or '2020-01' as a date). -#}
{% macro spark__try_cast(expr, data_type) -%}
    {%- set kind = data_type | lower | trim -%}
    {%- set date_shape = '^[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}([ t].*)?$' -%}
    {%- set shapes = {
        'double': '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?[0-9]+)?$|^[+-]?(nan|inf|infinity)$',
        'date': date_shape, 'timestamp': date_shape} -%}
    {%- if kind in shapes -%}
        case
            when lower(trim(cast({{ expr }} as string))) rlike {{ sql_string(shapes[kind]) }}
                then try_cast({{ expr }} as {{ spark_type(data_type) }})
        end
    {%- else -%}
        try_cast({{ expr }} as {{ spark_type(data_type) }})
    {%- endif -%}
{%- endmacro %}

{#- Postgres 15 has no try_cast: the functions of postgres__cip_engine_setup() (created
    by the on-run-start hook) catch the cast error and return null. Text is held to
    DuckDB's shapes first (a date is Y-M-D, numbers are decimal), so both engines
    quarantine the same values. -#}
{% macro postgres__try_cast(expr, data_type) -%}
    {%- set kind = data_type | lower | trim -%}
    {%- set suffix = {'double precision': 'double', 'double': 'double', 'float8': 'double', 'integer': 'integer',
        'int': 'integer', 'bigint': 'bigint', 'date': 'date', 'timestamptz': 'timestamptz',
        'timestamp with time zone': 'timestamptz', 'timestamp': 'timestamp', 'boolean': 'boolean'}.get(kind) -%}
    {%- if suffix -%}
        {{ target.schema }}.cip_try_cast_{{ suffix }}({{ expr }})
    {%- else -%}
        cast({{ expr }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- Run before every dbt command (on-run-start): what an engine needs before the models. -#}
{% macro cip_engine_setup() -%}
    {{ return(adapter.dispatch('cip_engine_setup', 'customs_cip')()) }}
{%- endmacro %}

{% macro default__cip_engine_setup() -%}
    select 1
{%- endmacro %}

{% macro postgres__cip_engine_setup() -%}
    {%- set s = target.schema -%}
    {%- set functions = [
        ('double', 'text', 'double precision',
            "if trim(x) !~* '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?[0-9]+)?$' and lower(trim(x)) not in ('nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity') then return null; end if; return cast(x as double precision);"),
        ('integer', 'text', 'integer', "if trim(x) !~ '^[+-]?[0-9]+$' then return null; end if; return cast(x as integer);"),
        ('integer', 'double precision', 'integer', "return cast(x as integer);"),
        ('integer', 'bigint', 'integer', "return cast(x as integer);"),
        ('integer', 'numeric', 'integer', "return cast(x as integer);"),
        ('bigint', 'text', 'bigint', "if trim(x) !~ '^[+-]?[0-9]+$' then return null; end if; return cast(x as bigint);"),
        ('bigint', 'double precision', 'bigint', "return cast(x as bigint);"),
        ('date', 'text', 'date', "if trim(x) !~ '^[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$' then return null; end if; return cast(trim(x) as date);"),
        ('timestamptz', 'text', 'timestamptz', "if trim(x) !~ '^[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$' then return null; end if; return cast(trim(x) as timestamptz);"),
        ('timestamp', 'text', 'timestamp', "if trim(x) !~ '^[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?$' then return null; end if; return cast(trim(x) as timestamp);"),
        ('boolean', 'text', 'boolean', "return cast(trim(x) as boolean);"),
    ] -%}
    create schema if not exists {{ s }};
    drop function if exists {{ s }}.cip_raise_error(text);
    create function {{ s }}.cip_raise_error(message text) returns text
        language plpgsql volatile as $cip$
        begin
            raise exception '%', message;
        end $cip$;
    {#- round(x, n) of a double as DuckDB does it: the exact binary value correctly rounded,
        half away from zero. x * 10^n in doubles can land on .5 when the exact product is
        just below or above it: the product's rounding error (Dekker's TwoProduct with
        Veltkamp splitting) decides such ties. -#}
    create or replace function {{ s }}.cip_round(x double precision, n integer) returns double precision
        language plpgsql immutable parallel safe as $cip$
        declare
            p double precision; a double precision; y double precision; f double precision;
            c double precision; ah double precision; al double precision; ph double precision;
            pl double precision; err double precision; r double precision;
        begin
            if x is null or n is null or x = 0 or x in ('NaN', 'Infinity', '-Infinity') then return x; end if;
            a := abs(x);
            if n < 0 then
                p := power(10::double precision, -n);
                return sign(x) * floor(a / p + 0.5) * p;
            end if;
            p := power(10::double precision, n);
            y := a * p;
            if y >= 4503599627370496 then return x; end if;
            f := floor(y);
            if y - f > 0.5 then r := f + 1;
            elsif y - f < 0.5 then r := f;
            else
                c := 134217729 * a; ah := c - (c - a); al := a - ah;
                c := 134217729 * p; ph := c - (c - p); pl := p - ph;
                err := ((ah * ph - y) + ah * pl + al * ph) + al * pl;
                r := case when err < 0 then f else f + 1 end;
            end if;
            return sign(x) * r / p;
        end $cip$;
    {% for name, arg, result, body in functions -%}
    create or replace function {{ s }}.cip_try_cast_{{ name }}(x {{ arg }}) returns {{ result }}
        language plpgsql immutable parallel safe as $cip$
        begin
            if x is null then return null; end if;
            {{ body }}
        exception when others then return null;
        end $cip$;
    {% endfor %}
{%- endmacro %}

{#- A 64-bit hash of the given columns, for grouping and joining on a wide key at the
    cost of a fixed-size one. Equal keys always give equal hashes; different keys may
    collide, so use it only where a collision is harmless (a superset is filtered on
    the real key afterwards, or treated by a path that is exact for any row). -#}
{% macro hash_key(columns) -%}
    {{ return(adapter.dispatch('hash_key', 'customs_cip')(columns)) }}
{%- endmacro %}

{% macro default__hash_key(columns) -%}
    hashtextextended(concat_ws('|', {% for column in columns %}coalesce(cast({{ column }} as varchar), '<null>'){{ ', ' if not loop.last }}{% endfor %}), 0)
{%- endmacro %}

{% macro duckdb__hash_key(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__hash_key(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

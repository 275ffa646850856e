{#- M3 (note Step 3): the 0/1 flag of an indicator from its raw value and the
    catalogue's comparison ('>' or '>=') and threshold; no value means no risk (0). -#}
{% macro indicator_flag(raw_value, comparison, threshold) -%}
    case
        when {{ raw_value }} is null then 0
        when {{ comparison }} = '>=' and {{ raw_value }} >= {{ threshold }} then 1
        when {{ comparison }} = '>' and {{ raw_value }} > {{ threshold }} then 1
        else 0
    end
{%- endmacro %}

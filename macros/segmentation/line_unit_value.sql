{#- M2/M16: the unit of value of a declaration line and its USD value per unit: per
    supplementary unit when a quantity is declared, else per kg of net mass. One rule
    for every model that compares unit values. -#}
{% macro line_unit_value_columns(relation_name) -%}
    case
        when {{ relation_name }}.quantity > 0 then coalesce({{ relation_name }}.quantity_unit, 'U')
        else 'KG'
    end as value_unit,
    {{ relation_name }}.customs_value_usd / case
        when {{ relation_name }}.quantity > 0 then {{ relation_name }}.quantity
        when {{ relation_name }}.net_mass_kg > 0 then {{ relation_name }}.net_mass_kg
    end as unit_value_usd
{%- endmacro %}

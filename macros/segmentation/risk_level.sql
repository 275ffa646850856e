{#- M6: low / medium / high from a GRI and the configured cut-offs. -#}
{% macro risk_level(gri_expr) -%}
    case
        when {{ gri_expr }} >= {{ var('risk_cutoff_high') }} then 'high'
        when {{ gri_expr }} >= {{ var('risk_cutoff_medium') }} then 'medium'
        else 'low'
    end
{%- endmacro %}

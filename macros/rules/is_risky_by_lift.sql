{#- The M2 "risky by lift" rule, in one place: a value (a broker, a tariff line, a
    country) is risky when it has the minimum support (var risky_min_examined_lines
    examined lines), at least one hit, and a hit rate at least var risky_min_lift times
    the overall hit rate of the same population. A boolean expression, never null.
    Used by derived_risk_by (int_risky_brokers, int_risky_hs_codes, int_risky_countries),
    int_risky_dimensions_monthly (the same rule per month) and int_sensitive_hs_codes
    (frequent value or classification adjustments). -#}
{% macro is_risky_by_lift(hit_lines, examined_lines, overall_hit_rate) -%}
    coalesce(
        {{ examined_lines }} >= {{ var('risky_min_examined_lines') }}
        and {{ hit_lines }} > 0
        and {{ safe_divide(hit_lines, examined_lines) }} >= {{ var('risky_min_lift') }} * {{ overall_hit_rate }},
        false
    )
{%- endmacro %}

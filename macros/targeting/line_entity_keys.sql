{#- M10 (learned declaration risk): the entities whose point-in-time hit rate is a
    feature of a declaration line, in one place for int_line_entity_history (which
    counts their examinations) and int_declaration_line_feature_counts (which reads the
    counts back per line). name -> SQL over the columns of int_declaration_lines_valued
    (which int_declaration_lines_flagged passes on);
    a null key means the line has no such entity. Which ones are used is
    var line_risk_entities (docs/targeting.md). -#}
{% macro line_entity_keys() -%}
    {%- set pair = "case when {a} is not null and {b} is not null then {a} || '|' || {b} end" -%}
    {%- set all_keys = {
        'hs_code': 'hs_code',
        'hs6': 'hs_subheading',
        'hs4': 'substr(hs_code, 1, 4)',
        'hs_chapter': 'hs_chapter',
        'origin': 'origin_country',
        'departure': 'departure_country',
        'importer': 'tin',
        'declarant': 'declarant_id',
        'supplier': 'supplier_id',
        'office': 'office_code',
        'regime': 'regime',
        'transport_mode': 'transport_mode',
        'duty_rate_band': 'cast(' ~ round_double('duty_rate', 3) ~ ' as ' ~ dbt.type_string() ~ ')',
        'tax_type': 'tax_type',
        'hs6_origin': pair.format(a='hs_subheading', b='origin_country'),
        'hs6_departure': pair.format(a='hs_subheading', b='departure_country'),
        'hs_code_origin': pair.format(a='hs_code', b='origin_country'),
        'origin_departure': pair.format(a='origin_country', b='departure_country'),
    } -%}
    {%- set chosen = {} -%}
    {%- set wanted = var('line_risk_entities') -%}
    {#- a string only when rendered without dbt (the linter's stand-in var): every entity -#}
    {%- for name in (all_keys.keys() | list if wanted is string else wanted) -%}
        {%- if name not in all_keys -%}
            {{ exceptions.raise_compiler_error("var line_risk_entities: unknown entity '" ~ name ~ "'. Known: "
                ~ all_keys.keys() | list | join(', ') ~ " (docs/targeting.md).") }}
        {%- endif -%}
        {%- do chosen.update({name: all_keys[name]}) -%}
    {%- endfor -%}
    {{ return(chosen) }}
{%- endmacro %}

{#- select-list entries `<expression> as entity_key_<name>` for every chosen entity. -#}
{% macro line_entity_key_columns() -%}
    {%- for name, expression in line_entity_keys().items() %}
    {{ expression }} as entity_key_{{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The ids of a featured line and what its scores are reported with: stored by
    int_declaration_line_feature_counts and passed on by the view int_declaration_line_features. -#}
{% macro line_report_columns() -%}
    declaration_id, item_no, tin, declaration_date, declaration_month, previous_quarter_end, flow, channel,
    customs_value_usd, taxes_paid_usd, is_risky_hs, is_risky_origin, is_risky_broker, is_below_unit_value_norm,
    is_first_time_operator
{%- endmacro %}

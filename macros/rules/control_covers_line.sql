{#- Which declaration lines a control (an examination or a PCA) covers, in one place: a
    control naming an item covers that line; one without item_no covers every line of
    its declaration. A join condition between a relation of controls and one of lines,
    for joins that keep each control and line pair (int_risk_cip_offences). Macro
    examined_line_ctes applies the same rule to find each line's findings
    (int_examined_lines, int_examinations_dated), which the other models read. -#}
{% macro control_covers_line(controls, lines) -%}
    {{ controls }}.declaration_id = {{ lines }}.declaration_id
    and ({{ controls }}.item_no is null or {{ controls }}.item_no = {{ lines }}.item_no)
{%- endmacro %}

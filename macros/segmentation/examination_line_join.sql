{#- M2/M10: examinations joined to the declaration lines they examined. An examination
    naming an item covers that line; one without item_no covers every line of its
    declaration. Two equality joins (instead of one join on an 'or') keep both as hash
    joins. Returns a select over the CTEs `declarations` and `examinations` of the caller. -#}
{% macro examination_line_join() -%}
    {%- set line_columns = [
        'declaration_id', 'item_no', 'tin', 'declarant_id', 'hs_code', 'origin_country', 'flow', 'declaration_date',
    ] -%}
    {%- set finding_columns = ['control_date', 'is_irregular', 'is_serious', 'offence_type', 'amount_reassessed_lcu'] -%}
    {%- for item_join in [true, false] %}
        select
        {%- for column in line_columns %}
            declarations.{{ column }},
        {%- endfor %}
        {%- for column in finding_columns %}
            examinations.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
        from examinations
        inner join declarations
            on examinations.declaration_id = declarations.declaration_id
        {%- if item_join %}
                and examinations.item_no = declarations.item_no
        {%- endif %}
        {%- if not item_join %}
        where examinations.item_no is null
        {%- endif %}
        {%- if loop.first %}
        union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}

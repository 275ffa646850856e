{#- The row-level checks of base_customs__declarations for the raw rows of CTE
    `input_cte`: the month, the line version, the reference lookups (CTEs hs_codes,
    countries, exchange_rates and national_currency_rates of the caller) and the reasons
    a row breaks the contract (_row_reasons, '' when clean). A macro because the model
    applies it to two disjoint sets of rows (lines with one row, lines with several), so
    the costly reasons are computed once per row (issue 7).
    hs_codes maps every code as delivered to its nomenclature code: itself, or, for a
    code that lost its leading zero in a spreadsheet (04254010 exported as 4254010), the
    zero-padded code when that exists and the delivered one does not (issue 16); hs_code
    is staged as the nomenclature code. <column>_restorations (a CTE of the caller per
    column with meta restore_leading_zeros, leading_zero_restorations()) maps a TIN that
    lost its leading zeros (0012345678 exported as 12345678) to the one register TIN it
    stands for; tin is staged restored, tin_as_delivered keeps what came (null when nothing
    was restored); a TIN that several register TINs strip to is quarantined. -#}
{#- The columns declaration_lines_checked returns, in its order (the model lists them to
    replace its cross-row columns). -#}
{% macro declaration_lines_checked_columns() -%}
    {%- set columns = [] -%}
    {%- for column in source_contract_node('customs', 'declarations').columns.values() -%}
        {%- if column.name | lower != 'hs_code' -%}{%- do columns.append(column.name | lower) -%}{%- endif -%}
    {%- endfor -%}
    {%- do columns.extend(['_cast_errors', '_source_file', '_source_file_version', 'hs_code', 'line_version',
        'declaration_month', 'is_hs_code_known', 'is_origin_known', 'invoice_usd_per_unit', 'lcu_usd_per_unit']) -%}
    {%- for item in leading_zero_columns('customs', 'declarations') -%}
        {%- do columns.append(item['column'] ~ '_as_delivered') -%}
    {%- endfor -%}
    {%- do columns.append('_row_reasons') -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro declaration_lines_checked(input_cte) -%}
    {%- set checks = contract_reason_expressions('customs', 'declarations') if execute else [] -%}
    {%- set restored = leading_zero_columns('customs', 'declarations') | map(attribute='column') | list -%}
    {%- for column in restored -%}
        {%- do checks.append(leading_zero_ambiguity_reason(column, '_cip_ambiguous_' ~ column)) -%}
    {%- endfor -%}
    {%- set input_columns = [] -%}
    {%- if execute -%}
        {%- for column in source_contract_node('customs', 'declarations').columns.values() -%}
            {%- if column.name | lower != 'hs_code' -%}{%- do input_columns.append(column.name | lower) -%}{%- endif -%}
        {%- endfor -%}
        {%- do input_columns.extend(['_cast_errors', '_source_file', '_source_file_version']) -%}
    {%- endif %}
    select
        looked_up.*,
        {{ reject_reasons(["nullif(_cast_errors, '')"] + checks + [
            "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
            "case when item_no < 1 then 'item_no not positive' end",
            "case when version < 1 then 'version not positive' end",
            "case when hs_code is not null and not " ~ regexp_like('hs_code', var('hs_code_pattern')) ~ " then 'hs_code not 6-10 digits'"
                ~ " when hs_code is not null and not is_hs_code_known then 'hs_code not in nomenclature' end",
            "case when origin_country is not null and not is_origin_known then 'origin_country unknown' end",
            "case when currency is not null and declaration_date is not null and invoice_usd_per_unit is null"
                ~ " then 'currency unknown or no exchange rate for the month' end",
            "case when declaration_date is not null and lcu_usd_per_unit is null then 'no national-currency exchange rate for the month' end",
            "case when customs_value <= 0 then 'customs_value not positive' end",
            "case when net_mass_kg <= 0 or quantity <= 0 then 'net_mass_kg or quantity not positive' end",
            "case when duty_paid < 0 or vat_paid < 0 or excise_paid < 0 then 'negative tax amount' end",
            "case when release_hours < 0 then 'negative release_hours' end",
            "case when duty_rate < 0 then 'negative duty_rate' end",
        ]) }} as _row_reasons
    from (
        select
            {% for column in input_columns -%}
                {% if column in restored -%}
                    coalesce({{ column }}_restorations.register_value, {{ input_cte }}.{{ column }}) as {{ column }},
                {% else -%}
                    {{ input_cte }}.{{ column }},
                {% endif -%}
            {% endfor -%}
            coalesce(hs_codes.nomenclature_code, {{ input_cte }}.hs_code) as hs_code,
            coalesce({{ input_cte }}.version, 1) as line_version,
            cast({{ dbt.date_trunc('month', input_cte ~ '.declaration_date') }} as date) as declaration_month,
            hs_codes.nomenclature_code is not null as is_hs_code_known,
            countries.country_code is not null as is_origin_known,
            exchange_rates.usd_per_unit as invoice_usd_per_unit,
            {% for column in restored -%}
                case when {{ column }}_restorations.register_value is not null then {{ input_cte }}.{{ column }} end as {{ column }}_as_delivered,
                {{ column }}_restorations.candidates as _cip_ambiguous_{{ column }},
            {% endfor -%}
            national_currency_rates.usd_per_unit as lcu_usd_per_unit
        from {{ input_cte }}
        left join hs_codes
            on {{ input_cte }}.hs_code = hs_codes.delivered_code
        {% for column in restored -%}
            left join {{ column }}_restorations
                on {{ input_cte }}.{{ column }} = {{ column }}_restorations.delivered_value
        {% endfor -%}
        left join countries
            on {{ input_cte }}.origin_country = countries.country_code
        left join exchange_rates
            on {{ input_cte }}.currency = exchange_rates.currency
                and cast({{ dbt.date_trunc('month', input_cte ~ '.declaration_date') }} as date) = exchange_rates.month_start
        left join national_currency_rates
            on cast({{ dbt.date_trunc('month', input_cte ~ '.declaration_date') }} as date) = national_currency_rates.month_start
    ) as looked_up
{%- endmacro %}

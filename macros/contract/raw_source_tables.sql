{#- Every table of the source contract as (source, table, staging model). Kept as a
    literal list because ref() needs it at parse time, before the graph exists. -#}
{% macro raw_source_tables() -%}
    {{ return([
        ('customs', 'declarations', 'stg_customs__declarations'),
        ('customs', 'control_results', 'stg_customs__control_results'),
        ('customs', 'advance_rulings', 'stg_customs__advance_rulings'),
        ('customs', 'treatments_applied', 'stg_customs__treatments_applied'),
        ('customs', 'trader_survey', 'stg_customs__trader_survey'),
        ('tax', 'taxpayers', 'stg_tax__taxpayers'),
        ('tax', 'tax_returns', 'stg_tax__tax_returns'),
        ('tax', 'tax_audits', 'stg_tax__tax_audits'),
        ('reference', 'hs_nomenclature', 'stg_reference__hs_nomenclature'),
        ('reference', 'country_risk', 'stg_reference__country_risk'),
        ('reference', 'sensitive_goods', 'stg_reference__sensitive_goods'),
        ('reference', 'exchange_rates', 'stg_reference__exchange_rates'),
        ('reference', 'isic_hs_concordance', 'stg_reference__isic_hs_concordance'),
    ]) }}
{%- endmacro %}

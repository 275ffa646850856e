{#- M1/M2: the window and the per-operator counts behind the indicators, written once
    for the current evaluation (one as-of date: int_evaluation_window and the
    int_operator_* models) and for the quarterly history (many as-of dates:
    int_gri_evaluation_dates, int_operator_counts_dated). -#}

{#- The first day of the window ending at `as_of` (var window_months long). -#}
{% macro evaluation_window_start(as_of) -%}
    cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * cip_int_var('window_months', min_value=1), as_of)) }} as date)
{%- endmacro %}

{#- The first day of the recent half of that window (growth indicators compare halves). -#}
{% macro evaluation_recent_half_start(as_of) -%}
    cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * (cip_int_var('window_months', min_value=1) // 2), as_of)) }}
        as date)
{%- endmacro %}

{#- The static lookups indicator_lines_select joins, as CTEs for the caller's WITH list:
    nomenclature (residual tariff lines), taxpayers (ISIC class) and the ISIC-HS concordance. -#}
{% macro indicator_lookup_ctes() -%}
nomenclature as (
    select
        hs_code,
        is_residual
    from {{ ref('stg_reference__hs_nomenclature') }}
),

taxpayers as (
    select
        tin,
        isic_code
    from {{ ref('stg_tax__taxpayers') }}
),

concordance as (
    select
        isic_code,
        hs_chapter
    from {{ ref('stg_reference__isic_hs_concordance') }}
),

isic_with_concordance as (
    select distinct isic_code from concordance
)
{%- endmacro %}

{#- The per-line attributes the transaction and customs-record counts need: the
    select list and joins over `declarations` (window lines with is_recent_half and
    the unit value) and the caller's CTEs risky_brokers, risky_hs_codes,
    risky_countries, unit_value_norms, nomenclature, taxpayers, isic_with_concordance
    and concordance. The dated counts (int_operator_counts_dated) split the same
    attributes into per-slice sums and per-date flags instead (issue 13). -#}
{% macro indicator_lines_select() -%}
    select
        declarations.tin,
        declarations.declaration_id,
        declarations.flow,
        declarations.declaration_date,
        declarations.is_recent_half,
        declarations.is_exempt,
        declarations.is_aeo,
        declarations.customs_value_usd,
        declarations.customs_value_lcu,
        declarations.duty_paid_usd,
        declarations.vat_paid_usd,
        declarations.excise_paid_usd,
        declarations.duty_paid_lcu,
        declarations.vat_paid_lcu,
        declarations.excise_paid_lcu,
        risky_brokers.declarant_id is not null as is_high_risk_broker,
        risky_hs_codes.hs_code is not null as is_risky_hs,
        risky_countries.country_code is not null as is_risky_origin,
        nomenclature.is_residual,
        unit_value_norms.hs_code is not null as has_unit_value_norm,
        declarations.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd as is_below_unit_value_norm,
        isic_with_concordance.isic_code is not null as has_isic_concordance,
        concordance.hs_chapter is not null as is_isic_consistent
    from declarations
    left join risky_brokers
        on declarations.declarant_id = risky_brokers.declarant_id
    left join risky_hs_codes
        on declarations.hs_code = risky_hs_codes.hs_code
    left join risky_countries
        on declarations.origin_country = risky_countries.country_code
    left join nomenclature
        on declarations.hs_code = nomenclature.hs_code
    left join unit_value_norms
        on declarations.hs_code = unit_value_norms.hs_code
            and declarations.value_unit = unit_value_norms.value_unit
    left join taxpayers
        on declarations.tin = taxpayers.tin
    left join isic_with_concordance
        on taxpayers.isic_code = isic_with_concordance.isic_code
    left join concordance
        on taxpayers.isic_code = concordance.isic_code
            and declarations.hs_chapter = concordance.hs_chapter
{%- endmacro %}

{#- (name, aggregate over indicator_lines_select rows) of every line count and sum. -#}
{% macro operator_line_counts() -%}
    {{ return([
        ('lines', 'count(*)'),
        ('import_lines', "sum(case when flow = 'I' then 1 else 0 end)"),
        ('export_lines', "sum(case when flow = 'E' then 1 else 0 end)"),
        ('import_value_usd', "sum(case when flow = 'I' then customs_value_usd else 0 end)"),
        ('export_value_usd', "sum(case when flow = 'E' then customs_value_usd else 0 end)"),
        ('trade_value_usd', 'sum(customs_value_usd)'),
        ('import_value_lcu', "sum(case when flow = 'I' then customs_value_lcu else 0 end)"),
        ('export_value_lcu', "sum(case when flow = 'E' then customs_value_lcu else 0 end)"),
        ('duty_paid_usd', 'sum(duty_paid_usd)'),
        ('vat_paid_usd', 'sum(vat_paid_usd)'),
        ('excise_paid_usd', 'sum(excise_paid_usd)'),
        ('duty_paid_lcu', 'sum(duty_paid_lcu)'),
        ('vat_paid_lcu', 'sum(vat_paid_lcu)'),
        ('excise_paid_lcu', 'sum(excise_paid_lcu)'),
        ('lines_high_risk_broker', 'sum(case when is_high_risk_broker then 1 else 0 end)'),
        ('lines_risky_hs', 'sum(case when is_risky_hs then 1 else 0 end)'),
        ('import_lines_risky_origin', "sum(case when flow = 'I' and is_risky_origin then 1 else 0 end)"),
        ('import_lines_with_norm', "sum(case when flow = 'I' and has_unit_value_norm then 1 else 0 end)"),
        ('import_lines_below_norm', "sum(case when flow = 'I' and is_below_unit_value_norm then 1 else 0 end)"),
        ('import_lines_earlier', "sum(case when flow = 'I' and not is_recent_half then 1 else 0 end)"),
        ('exempt_lines_earlier', "sum(case when flow = 'I' and not is_recent_half and is_exempt then 1 else 0 end)"),
        ('import_lines_recent', "sum(case when flow = 'I' and is_recent_half then 1 else 0 end)"),
        ('exempt_lines_recent', "sum(case when flow = 'I' and is_recent_half and is_exempt then 1 else 0 end)"),
        ('lines_earlier', 'sum(case when not is_recent_half then 1 else 0 end)'),
        ('residual_lines_earlier', 'sum(case when not is_recent_half and is_residual then 1 else 0 end)'),
        ('lines_recent', 'sum(case when is_recent_half then 1 else 0 end)'),
        ('residual_lines_recent', 'sum(case when is_recent_half and is_residual then 1 else 0 end)'),
        ('import_value_isic_known_usd', "sum(case when flow = 'I' and has_isic_concordance then customs_value_usd else 0 end)"),
        ('import_value_isic_inconsistent_usd',
            "sum(case when flow = 'I' and has_isic_concordance and not is_isic_consistent then customs_value_usd else 0 end)"),
    ]) }}
{%- endmacro %}

{% macro operator_line_count_names() -%}
    {{ return(operator_line_counts() | map(attribute=0) | list) }}
{%- endmacro %}

{#- The select list of operator_line_counts(), for a group by tin (and as_of_date). -#}
{% macro operator_line_count_columns() -%}
    {%- for name, aggregate in operator_line_counts() %}
        {{ aggregate }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Examined lines of the window (one row each) per operator: serious-violation counts. -#}
{% macro operator_examined_count_columns() -%}
        count(*) as examined_lines,
        sum(case when is_irregular then 1 else 0 end) as irregular_examined_lines,
        sum(case when is_serious then 1 else 0 end) as serious_examined_lines
{%- endmacro %}

{#- Controls of the window per operator: the distinct quarters with an irregularity
    (the recurrence count of macro offence_quarters). -#}
{% macro operator_irregular_quarters() -%}
    {{ offence_quarters('control_date', 'is_irregular') }}
{%- endmacro %}

{#- The tax returns and audits of the window ending at `window`.as_of_date. -#}
{% macro tax_return_in_window(window) -%}
    period_start between cast({{ dbt.date_trunc('month', window ~ '.window_start') }} as date) and {{ window }}.as_of_date
{%- endmacro %}

{% macro tax_audit_in_window(window) -%}
    audit_date between {{ window }}.window_start and {{ window }}.as_of_date
{%- endmacro %}

{% macro operator_return_count_columns() -%}
        count(*) as returns_due,
        sum(case when is_filed then 1 else 0 end) as returns_filed,
        sum(case when is_filed then vat_on_imports_claimed_lcu else 0 end) as vat_on_imports_claimed_lcu,
        sum(case when is_filed then imports_declared_lcu else 0 end) as imports_declared_lcu,
        sum(case when is_filed then exports_declared_lcu else 0 end) as exports_declared_lcu,
        sum(case when is_filed then excise_declared_lcu else 0 end) as excise_declared_lcu
{%- endmacro %}

{% macro operator_audit_count_columns() -%}
        count(*) as tax_audits,
        sum(case when has_irregularity then 1 else 0 end) as tax_audits_irregular,
        sum(case when has_transfer_pricing_adjustment then 1 else 0 end) as tax_audits_transfer_pricing,
        count(distinct case when has_irregularity then {{ dbt.date_trunc('year', 'audit_date') }} end)
            as years_with_tax_irregularity
{%- endmacro %}

{#- A registered operator's tax figures from its returns and audits of the window
    (left-joined): counts 0 without records, amounts null. -#}
{% macro operator_tax_record_columns(returns, audits) -%}
        coalesce({{ returns }}.returns_due, 0) as returns_due,
        coalesce({{ returns }}.returns_filed, 0) as returns_filed,
        {{ returns }}.vat_on_imports_claimed_lcu,
        {{ returns }}.imports_declared_lcu,
        {{ returns }}.exports_declared_lcu,
        {{ returns }}.excise_declared_lcu,
        coalesce({{ audits }}.tax_audits, 0) as tax_audits,
        coalesce({{ audits }}.tax_audits_irregular, 0) as tax_audits_irregular,
        coalesce({{ audits }}.tax_audits_transfer_pricing, 0) as tax_audits_transfer_pricing,
        coalesce({{ audits }}.years_with_tax_irregularity, 0) as years_with_tax_irregularity
{%- endmacro %}

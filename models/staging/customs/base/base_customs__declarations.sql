{#- Every raw declaration line with its reject reasons and its status:
    staged (clean, latest version), superseded (clean, replaced by a later version
    of the same line) or rejected. Reference joins validate codes and bring the
    monthly exchange rates used by stg_customs__declarations. -#}
{%- set checks = contract_reason_expressions('customs', 'declarations') if execute else [] -%}

with

raw as (
    {{ read_raw_source('customs', 'declarations') }}
),

hs_codes as (
    select hs_code from {{ ref('stg_reference__hs_nomenclature') }}
),

countries as (
    select country_code from {{ ref('stg_reference__country_risk') }}
),

exchange_rates as (
    select
        currency,
        month_start,
        usd_per_unit
    from {{ ref('stg_reference__exchange_rates') }}
),

national_currency_rates as (
    select
        month_start,
        usd_per_unit
    from exchange_rates
    where currency = '{{ var("national_currency") }}'
),

joined as (
    select
        raw.*,
        coalesce(raw.version, 1) as line_version,
        cast({{ dbt.date_trunc('month', 'raw.declaration_date') }} as date) as declaration_month,
        hs_codes.hs_code is not null as is_hs_code_known,
        countries.country_code is not null as is_origin_known,
        exchange_rates.usd_per_unit as invoice_usd_per_unit,
        national_currency_rates.usd_per_unit as lcu_usd_per_unit
    from raw
    left join hs_codes
        on raw.hs_code = hs_codes.hs_code
    left join countries
        on raw.origin_country = countries.country_code
    left join exchange_rates
        on raw.currency = exchange_rates.currency
            and cast({{ dbt.date_trunc('month', 'raw.declaration_date') }} as date) = exchange_rates.month_start
    left join national_currency_rates
        on cast({{ dbt.date_trunc('month', 'raw.declaration_date') }} as date) = national_currency_rates.month_start
),

checked as (
    select
        joined.*,
        {{ reject_reasons(["nullif(_cast_errors, '')"] + checks + [
            "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
            "case when item_no < 1 then 'item_no not positive' end",
            "case when hs_code is not null and not " ~ regexp_like('hs_code', var('hs_code_pattern')) ~ " then 'hs_code not 6-10 digits'"
                ~ " when hs_code is not null and not is_hs_code_known then 'hs_code not in nomenclature' end",
            "case when origin_country is not null and not is_origin_known then 'origin_country unknown' end",
            "case when currency is not null and declaration_date is not null and invoice_usd_per_unit is null then 'currency unknown or no exchange rate for the month' end",
            "case when declaration_date is not null and lcu_usd_per_unit is null then 'no national-currency exchange rate for the month' end",
            "case when customs_value <= 0 then 'customs_value not positive' end",
            "case when net_mass_kg <= 0 or quantity <= 0 then 'net_mass_kg or quantity not positive' end",
            "case when duty_paid < 0 or vat_paid < 0 or excise_paid < 0 then 'negative tax amount' end",
            "case when release_hours < 0 then 'negative release_hours' end",
            "case when count(*) over (partition by declaration_id, item_no, coalesce(version, 1)) > 1"
                ~ " and row_number() over (partition by declaration_id, item_no, coalesce(version, 1) order by _source_file) > 1"
                ~ " then 'duplicate declaration line (same declaration_id, item_no, version)' end",
        ]) }} as _reject_reasons
    from joined
),

final as (
    select
        checked.*,
        case
            when checked._reject_reasons <> '' then 'rejected'
            when checked.line_version < max(case when checked._reject_reasons = '' then checked.line_version end)
                    over (partition by checked.declaration_id, checked.item_no)
                then 'superseded'
            else 'staged'
        end as _row_status
    from checked
)

select * from final

{{ config(
    materialized='incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
) }}
{#- Every raw declaration line with its reject reasons and its status:
    staged (clean, latest version), superseded (clean, replaced by a later version
    of the same line) or rejected. Reference joins validate codes and bring the
    monthly exchange rates used by stg_customs__declarations.
    Incremental (issue 7, docs/incremental.md): a run reads only the raw files not
    loaded yet (files are immutable once loaded; a new file must sort after the loaded
    ones, e.g. declarations/part-YYYYMMDD.parquet). The rows already stored for the
    lines the new files touch are read back and their duplicate check and status are
    recomputed with the new rows (a late correction turns the old version into
    'superseded'); delete+insert on (declaration_id, item_no) replaces them. _load_seq
    numbers the loads (1 = full refresh): the rows (re)written by the latest load are
    what the incremental models downstream pick up. Changed reference tables or changed
    files need --full-refresh.
    The duplicate check and the status need window functions only for lines with
    several rows (versions, duplicates), a small share: the others skip them. A row
    without declaration_id or item_no is rejected for that and never counted as a
    duplicate of another such row. -#}
{%- set checks = contract_reason_expressions('customs', 'declarations') if execute else [] -%}
{%- set loaded_files = [] -%}
{%- if execute and is_incremental() -%}
    {%- set loaded = run_query("select distinct _source_file from " ~ this ~ " where _source_file is not null order by 1") -%}
    {%- do loaded_files.extend(loaded.columns[0].values()) -%}
{%- endif -%}
{%- set cross_row_columns = ['_reject_reasons', '_row_status', '_load_seq'] -%}
{#- the stored row-level columns (['*'] only when rendered without a warehouse, by the linter) -#}
{%- set stored_columns = ['*'] -%}
{%- if execute and is_incremental() -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower')
        | reject('in', cross_row_columns) | list -%}
{%- endif %}

with

all_raw as (
    {{ read_raw_source('customs', 'declarations') }}
),

raw as (
    select * from all_raw
    {% if loaded_files -%}
        where _source_file not in ('{{ loaded_files | join("', '") }}')
    {%- endif %}
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

row_checked as (
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
        ]) }} as _row_reasons
    from joined
),

{% if is_incremental() -%}
    touched_lines as (
        select distinct
            declaration_id,
            item_no
        from row_checked
    ),

    stored_lines as (
        -- rows already loaded for the lines the new files touch: their cross-row checks are redone
        select loaded.{{ stored_columns | join(', loaded.') }}
        from {{ this }} as loaded
        inner join touched_lines
            on loaded.declaration_id = touched_lines.declaration_id
                and loaded.item_no = touched_lines.item_no
    ),

    candidates as (
        select {{ stored_columns | join(', ') }} from row_checked
        union all
        select {{ stored_columns | join(', ') }} from stored_lines
    ),
{%- else %}
    candidates as (
        select * from row_checked
    ),
{%- endif %}

several_row_lines as (
    -- lines with several rows (later versions or duplicates) are few: the window
    -- functions below run over their rows only, not over every row
    select
        declaration_id,
        item_no
    from candidates
    group by declaration_id, item_no
    having count(*) > 1
),

several_rows as (
    select candidates.*
    from candidates
    inner join several_row_lines
        on candidates.declaration_id = several_row_lines.declaration_id
            and candidates.item_no = several_row_lines.item_no
),

single_rows as (
    -- includes rows without a declaration_id or item_no: rejected, never a duplicate
    select candidates.*
    from candidates
    left join several_row_lines
        on candidates.declaration_id = several_row_lines.declaration_id
            and candidates.item_no = several_row_lines.item_no
    where several_row_lines.declaration_id is null
),

several_checked as (
    select
        several_rows.*,
        concat_ws(
            '; ',
            nullif(several_rows._row_reasons, ''),
            case
                when row_number() over (
                        partition by several_rows.declaration_id, several_rows.item_no, several_rows.line_version
                        order by several_rows._source_file
                    ) > 1
                    then 'duplicate declaration line (same declaration_id, item_no, version)'
            end
        ) as _reject_reasons
    from several_rows
),

several_final as (
    select
        several_checked.*,
        case
            when several_checked._reject_reasons <> '' then 'rejected'
            when several_checked.line_version < max(
                    case when several_checked._reject_reasons = '' then several_checked.line_version end
                ) over (partition by several_checked.declaration_id, several_checked.item_no)
                then 'superseded'
            else 'staged'
        end as _row_status
    from several_checked
),

single_final as (
    select
        single_rows.*,
        single_rows._row_reasons as _reject_reasons,
        case when single_rows._row_reasons <> '' then 'rejected' else 'staged' end as _row_status
    from single_rows
),

{% if is_incremental() -%}
    this_load as (
        select coalesce(max(_load_seq), 0) + 1 as load_seq
        from {{ this }}
    ),
{%- else -%}
    this_load as (
        select 1 as load_seq
    ),
{%- endif %}

final as (
    select
        several_final.*,
        this_load.load_seq as _load_seq
    from several_final
    cross join this_load
    union all
    select
        single_final.*,
        this_load.load_seq as _load_seq
    from single_final
    cross join this_load
)

select * from final

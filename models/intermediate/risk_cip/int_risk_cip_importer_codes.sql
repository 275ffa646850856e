{#- M16: one row per importer and linked tariff line of the window: its import lines,
    CIF and taxes, and its lines priced against the code-unit's bound
    (int_risk_cip_lines_priced): how many, how many below the bound, the value and taxes
    at stake and the lowest ratio to the bound. The importer- and code-level models
    read this table instead of each passing over the ~8M linked lines at 10M (issue 7). -#}

with

imports as (
    select
        tin,
        hs_code,
        count(*) as import_lines,
        sum(customs_value_usd) as cif_usd,
        sum(collection_usd) as collection_usd
    from {{ ref('int_risk_cip_import_lines') }}
    group by tin, hs_code
),

priced as (
    select
        tin,
        hs_code,
        count(*) as priced_lines,
        sum(case when is_below_bound then 1 else 0 end) as lines_below_bound,
        sum(value_at_stake_usd) as value_at_stake_usd,
        sum(duty_at_stake_usd + vat_at_stake_usd + excise_at_stake_usd) as taxes_at_stake_usd,
        min(case when is_below_bound then unit_value_usd / lower_bound_unit_value_usd end) as lowest_ratio_to_bound
    from {{ ref('int_risk_cip_lines_priced') }}
    group by tin, hs_code
),

final as (
    -- every priced line is an import line of the same importer and code
    select
        imports.tin,
        imports.hs_code,
        imports.import_lines,
        imports.cif_usd,
        imports.collection_usd,
        coalesce(priced.priced_lines, 0) as priced_lines,
        coalesce(priced.lines_below_bound, 0) as lines_below_bound,
        coalesce(priced.value_at_stake_usd, 0) as value_at_stake_usd,
        coalesce(priced.taxes_at_stake_usd, 0) as taxes_at_stake_usd,
        priced.lowest_ratio_to_bound
    from imports
    left join priced
        on imports.tin = priced.tin
            and imports.hs_code = priced.hs_code
)

select * from final

{#- M16: the review list of the unit price analysis: one row per importer and linked
    tariff line with at least one line below the unit-value lower bound, its value and
    taxes at stake, its size and risk level, and whether the importer is flagged over
    all linked lines (int_risk_cip_importers_flagged). -#}

with

importer_codes as (
    select * from {{ ref('int_risk_cip_importer_codes') }}
    where priced_lines > 0
),

flagged as (
    select * from {{ ref('int_risk_cip_importers_flagged') }}
),

importers as (
    select * from {{ ref('int_risk_cip_importers_profiled') }}
),

by_importer_code as (
    select
        tin,
        hs_code,
        priced_lines,
        lines_below_bound,
        value_at_stake_usd,
        taxes_at_stake_usd,
        lowest_ratio_to_bound
    from importer_codes
),

final as (
    select
        by_importer_code.tin,
        by_importer_code.hs_code,
        importers.size_segment,
        importers.risk_level,
        importers.risk_gri,
        cast(by_importer_code.priced_lines as bigint) as priced_lines,
        cast(by_importer_code.lines_below_bound as bigint) as lines_below_bound,
        {{ safe_divide('by_importer_code.lines_below_bound', 'by_importer_code.priced_lines') }} as share_below_bound,
        cast(by_importer_code.lowest_ratio_to_bound as {{ type_double() }}) as lowest_ratio_to_bound,
        cast(by_importer_code.value_at_stake_usd as {{ type_double() }}) as value_at_stake_usd,
        cast(by_importer_code.taxes_at_stake_usd as {{ type_double() }}) as taxes_at_stake_usd,
        cast(flagged.lines_below_bound as bigint) as importer_lines_below_bound,
        flagged.share_below_bound as importer_share_below_bound,
        flagged.is_flagged as is_flagged_importer,
        importers.is_repeat_offender
    from by_importer_code
    inner join flagged
        on by_importer_code.tin = flagged.tin
    inner join importers
        on by_importer_code.tin = importers.tin
    where by_importer_code.lines_below_bound > 0
)

select {{ stable_select() }} from final

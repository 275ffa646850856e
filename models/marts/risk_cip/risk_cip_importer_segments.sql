{#- M16 (note Annex 3, table 2): per linked tariff line, its importers in the nine
    size x risk-level cells (risk level on the GRI of the selected risk): number and
    share of the code's importers, repeat offenders for the risk and their variation
    on the previous year, CIF and collection (duty + VAT + excise, USD) and their shares
    of the code's totals. Every cell is present, empty ones with zeros. -#}

with

importer_codes as (
    select
        hs_code,
        tin,
        cif_usd,
        collection_usd
    from {{ ref('int_risk_cip_importer_codes') }}
),

linked_codes as (
    select * from {{ ref('int_risk_cip_hs_codes_linked') }}
),

importers as (
    select * from {{ ref('int_risk_cip_importers_profiled') }}
),

size_segments as (
    select * from {{ ref('size_segments') }}
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

by_cell as (
    select
        importer_codes.hs_code,
        importers.size_segment,
        importers.risk_level,
        count(*) as importers,
        sum(case when importers.is_repeat_offender then 1 else 0 end) as repeat_offenders,
        sum(case when importers.was_repeat_offender_previous_year then 1 else 0 end) as repeat_offenders_previous_year,
        sum(importer_codes.cif_usd) as cif_usd,
        sum(importer_codes.collection_usd) as collection_usd
    from importer_codes
    inner join importers
        on importer_codes.tin = importers.tin
    group by importer_codes.hs_code, importers.size_segment, importers.risk_level
),

code_totals as (
    select
        hs_code,
        count(*) as importers,
        sum(cif_usd) as cif_usd,
        sum(collection_usd) as collection_usd
    from importer_codes
    group by hs_code
),

cells as (
    select
        linked_codes.hs_code,
        size_segments.size_segment,
        size_segments.sort_order as size_sort_order,
        risk_levels.risk_level,
        risk_levels.sort_order as risk_sort_order
    from linked_codes
    cross join size_segments
    cross join risk_levels
),

final as (
    select
        cells.hs_code,
        cells.size_segment,
        cells.risk_level,
        cast(coalesce(by_cell.importers, 0) as bigint) as importers,
        coalesce({{ safe_divide('by_cell.importers', 'code_totals.importers') }}, 0) as importers_share,
        cast(coalesce(by_cell.repeat_offenders, 0) as bigint) as repeat_offenders,
        cast(coalesce(by_cell.repeat_offenders_previous_year, 0) as bigint) as repeat_offenders_previous_year,
        {{ safe_divide(
            'coalesce(by_cell.repeat_offenders, 0) - coalesce(by_cell.repeat_offenders_previous_year, 0)',
            'by_cell.repeat_offenders_previous_year'
        ) }} as repeat_offenders_variation,
        cast(coalesce(by_cell.cif_usd, 0) as {{ type_double() }}) as cif_usd,
        coalesce({{ safe_divide('by_cell.cif_usd', 'code_totals.cif_usd') }}, 0) as cif_share,
        cast(coalesce(by_cell.collection_usd, 0) as {{ type_double() }}) as collection_usd,
        coalesce({{ safe_divide('by_cell.collection_usd', 'code_totals.collection_usd') }}, 0) as collection_share,
        cast(cells.size_sort_order as integer) as size_sort_order,
        cast(cells.risk_sort_order as integer) as risk_sort_order
    from cells
    left join by_cell
        on cells.hs_code = by_cell.hs_code
            and cells.size_segment = by_cell.size_segment
            and cells.risk_level = by_cell.risk_level
    left join code_totals
        on cells.hs_code = code_totals.hs_code
)

select {{ stable_select() }} from final

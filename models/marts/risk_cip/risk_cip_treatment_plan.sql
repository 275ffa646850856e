{#- M16 (note Annex 3, table 3): every importer of the linked tariff lines in its size x
    risk-level cell for the selected risk, with the cell's measures from seed
    risk_cip_treatment_matrix, and what the unit price analysis found on it. -#}

with

importers as (
    select * from {{ ref('int_risk_cip_importers_profiled') }}
),

importer_codes as (
    select * from {{ ref('int_risk_cip_importer_codes') }}
),

flagged as (
    select * from {{ ref('int_risk_cip_importers_flagged') }}
),

treatment_matrix as (
    select * from {{ ref('risk_cip_treatment_matrix') }}
    where risk_type = '{{ var("risk_cip_risk_type") }}'
),

cell_measures as (
    select
        size_segment,
        risk_level,
        count(*) as measures_count,
        {{ dbt.listagg('measure', "'; '", 'order by measure_no') }} as measures
    from treatment_matrix
    group by size_segment, risk_level
),

imports_by_importer as (
    select
        tin,
        count(hs_code) as linked_codes_imported,
        sum(cif_usd) as cif_usd,
        sum(collection_usd) as collection_usd
    from importer_codes
    group by tin
),

final as (
    select
        importers.tin,
        '{{ var("risk_cip_risk_type") }}' as risk_type,
        importers.size_segment,
        importers.risk_level,
        importers.risk_gri,
        importers.is_repeat_offender,
        cast(imports_by_importer.linked_codes_imported as bigint) as linked_codes_imported,
        cast(imports_by_importer.cif_usd as {{ type_double() }}) as cif_usd,
        cast(imports_by_importer.collection_usd as {{ type_double() }}) as collection_usd,
        cast(coalesce(flagged.lines_below_bound, 0) as bigint) as lines_below_bound,
        cast(coalesce(flagged.value_at_stake_usd, 0) as {{ type_double() }}) as value_at_stake_usd,
        coalesce(flagged.is_flagged, false) as is_unit_price_flagged,
        cast(coalesce(cell_measures.measures_count, 0) as bigint) as measures_count,
        cell_measures.measures
    from importers
    inner join imports_by_importer
        on importers.tin = imports_by_importer.tin
    left join flagged
        on importers.tin = flagged.tin
    left join cell_measures
        on importers.size_segment = cell_measures.size_segment
            and importers.risk_level = cell_measures.risk_level
)

select {{ stable_select() }} from final

{#- M16 (note Annex 3): the tariff lines linked to the selected compliance risk, why, and
    how many importers and how much CIF went through them in the window. -#}

with

linked_codes as (
    select * from {{ ref('int_risk_cip_hs_codes_linked') }}
),

nomenclature as (
    select * from {{ ref('stg_reference__hs_nomenclature') }}
),

importer_codes as (
    select * from {{ ref('int_risk_cip_importer_codes') }}
),

imports_by_code as (
    select
        hs_code,
        sum(import_lines) as import_lines,
        count(tin) as importers,
        sum(cif_usd) as cif_usd,
        sum(collection_usd) as collection_usd
    from importer_codes
    group by hs_code
),

final as (
    select
        linked_codes.hs_code,
        linked_codes.risk_type,
        nomenclature.hs_description,
        linked_codes.is_from_offences,
        linked_codes.is_from_reference_list,
        linked_codes.is_from_configuration,
        cast(linked_codes.offences_in_window as bigint) as offences_in_window,
        cast(linked_codes.offending_importers as bigint) as offending_importers,
        linked_codes.link_reasons,
        cast(coalesce(imports_by_code.import_lines, 0) as bigint) as import_lines,
        cast(coalesce(imports_by_code.importers, 0) as bigint) as importers,
        cast(coalesce(imports_by_code.cif_usd, 0) as {{ type_double() }}) as cif_usd,
        cast(coalesce(imports_by_code.collection_usd, 0) as {{ type_double() }}) as collection_usd
    from linked_codes
    left join nomenclature
        on linked_codes.hs_code = nomenclature.hs_code
    left join imports_by_code
        on linked_codes.hs_code = imports_by_code.hs_code
)

select {{ stable_select() }} from final

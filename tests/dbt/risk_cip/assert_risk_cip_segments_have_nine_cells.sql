-- M16: every linked tariff line has the nine size x risk cells, whose importers add up to the code's importers.
with

segments as (
    select * from {{ ref('risk_cip_importer_segments') }}
),

hs_codes as (
    select * from {{ ref('risk_cip_linked_hs_codes') }}
),

by_code as (
    select
        hs_code,
        count(*) as cells,
        sum(importers) as importers
    from segments
    group by hs_code
),

final as (
    select
        hs_codes.hs_code,
        by_code.cells,
        by_code.importers,
        hs_codes.importers as code_importers
    from hs_codes
    left join by_code
        on hs_codes.hs_code = by_code.hs_code
)

select * from final
where cells is null or cells != 9 or importers != code_importers

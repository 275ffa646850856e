-- Nothing is lost silently: for every raw input, rows read = staged + rejected + superseded.
select
    source_name,
    table_name,
    raw_rows,
    staged_rows,
    rejected_rows,
    superseded_rows
from {{ ref('stg_source_inventory') }}
where raw_rows <> staged_rows + rejected_rows + superseded_rows

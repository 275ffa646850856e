-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{#- Every raw declaration line with its reject reasons and its status:
    staged (clean, latest version), superseded (clean, replaced by a later version
    of the same line) or rejected. Reference joins validate codes and bring the
    monthly exchange rates used by stg_customs__declarations.
    Incremental (issue 7, docs/incremental.md): a run reads only the raw files not
    loaded yet. A file is identified by its path relative to the data folder
    (_source_file) and its size, modification time and MD5 (_source_file_version), so
    `cip build` and `dbt build` agree and a data folder moved or copied elsewhere is not
    loaded twice (issue 16). A loaded file that changed or disappeared stops the run
    with the command to rebuild. A new file must sort after the loaded ones (e.g.
    declarations/part-YYYYMMDD.parquet). The rows already stored for the declarations
    the new files touch are read back and their duplicate check, header agreement and
    status are recomputed with the new rows (a late correction turns the old version into
    'superseded', a new line under another operator quarantines the declaration);
    delete+insert on (declaration_id, item_no) replaces them. _load_seq numbers the
    loads (1 = full refresh): the rows (re)written by the latest load are what the
    incremental models downstream pick up. Changed reference tables need --full-refresh.
    The duplicate check, the status and the header agreement (the lines of a declaration
    that would be staged must agree on its per_declaration columns, else all are
    rejected) need window functions or a grouping only for the declarations with a line
    of several rows (versions, duplicates) or differing header hashes, a small share: the
    others skip them. A row
    without declaration_id or item_no is rejected for that and never counted as a
    duplicate of another such row. -#}
{%- set loaded_files = [] -%}
{%- if execute and is_incremental() -%}
    {%- set loaded_files = loaded_declaration_files(this) -%}
{%- endif -%}
{%- set cross_row_columns = ['_reject_reasons', '_row_status', '_load_seq'] -%}
{#- the columns every line of a declaration must share (contract meta per_declaration) -#}
{%- set header_columns = declaration_header_columns() -%}
{#- the row-level columns, listed where the cross-row ones are replaced (['*'] only when
    rendered without a warehouse, by the linter) -#}
{%- set checked_columns = declaration_lines_checked_columns() if execute else ['*'] -%}
{#- the stored row-level columns (['*'] only when rendered without a warehouse, by the linter) -#}
{%- set stored_columns = ['*'] -%}
{%- if execute and is_incremental() -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower')
        | reject('in', cross_row_columns) | list -%}
{%- endif %}

{%- set raw_rows -%}
    select * from ({{ read_raw_source('customs', 'declarations', exclude_files=loaded_files, with_file_versions=true) }}) as all_raw
{%- endset %}
{%- set several_raw_rows -%}
    {{ read_raw_source('customs', 'declarations', exclude_files=loaded_files, with_file_versions=true,
        key_filter={'columns': ['declaration_id'], 'hashes': 'select declaration_hash from several_row_declarations'}) }}
{%- endset %}

with

raw_keys as (
    -- the raw rows are read three times (their keys, then the rows of each kind): one
    -- CTE read by several branches would be held in memory whole by the engine
    select
        declaration_id,
        item_no,
        {{ hash_key(header_columns) }} as header_hash
    from ({{ raw_rows }}) as raw_rows
),

nomenclature as (
    select hs_code from {{ ref('stg_reference__hs_nomenclature') }}
),

hs_codes as (
    -- every code as delivered -> its nomenclature code: the code itself, or, for a code
    -- that lost its leading zero (04254010 exported as 4254010), the zero-padded code
    -- when it exists and the delivered one does not (issue 16)
    select
        hs_code as delivered_code,
        hs_code as nomenclature_code
    from nomenclature
    union all
    select
        substr(padded.hs_code, 2) as delivered_code,
        padded.hs_code as nomenclature_code
    from nomenclature as padded
    left join nomenclature as unpadded
        on substr(padded.hs_code, 2) = unpadded.hs_code
    where padded.hs_code like '0%'
        and unpadded.hs_code is null
),

{% for item in leading_zero_columns('customs', 'declarations') -%}
    {{ item['column'] }}_restorations as (
        -- a TIN that lost its leading zeros in a spreadsheet -> the one register TIN it
        -- stands for (contract meta restore_leading_zeros; checked_source does the same)
        {{ leading_zero_restorations(leading_zero_register(item), item['register_column']) | indent(8) }}
    ),

{% endfor -%}
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

{% if is_incremental() -%}
    touched_declarations as (
        select distinct declaration_id
        from raw_keys
    ),

    stored_lines as (
        -- rows already loaded for the declarations the new files touch: their cross-row
        -- checks (duplicates, versions, header agreement) are redone with the new rows
        select loaded.{{ stored_columns | join(', loaded.') }}
        from {{ this }} as loaded
        inner join touched_declarations
            on loaded.declaration_id = touched_declarations.declaration_id
    ),

    line_keys as (
        select
            declaration_id,
            item_no,
            header_hash
        from raw_keys
        union all
        select
            declaration_id,
            item_no,
            {{ hash_key(header_columns) }} as header_hash
        from stored_lines
    ),
{%- else %}
    line_keys as (
        select
            declaration_id,
            item_no,
            header_hash
        from raw_keys
    ),
{%- endif %}

several_row_declarations as (
    -- declarations with a line of several rows (later versions or duplicates) or whose
    -- rows differ on a header column are few: the window functions below run over their
    -- rows only (an equal hash means equal header values, so the others agree). One
    -- grouping by declaration (issue 13: one by line, then one by declaration, cost ~2.3
    -- more CPU-s at 10M): a declaration with more rows than distinct item numbers has a
    -- line of several rows; item numbers outside the 0-63 of the mask, and a collision of
    -- the key's hash, only send a declaration through the window path, which is exact for
    -- any row. A row without declaration_id or item_no is rejected for that and never a
    -- duplicate of another.
    select declaration_hash
    from (
        select
            {{ hash_key(['declaration_id']) }} as declaration_hash,
            count(*) as declaration_rows,
            {{ distinct_bit_count('item_no') }} as distinct_items,
            count(case when item_no < 0 or item_no > 63 then 1 end) as items_outside_mask,
            min(header_hash) as min_header_hash,
            max(header_hash) as max_header_hash
        from line_keys
        where declaration_id is not null and item_no is not null
        group by {{ hash_key(['declaration_id']) }}
    ) as declarations
    where declaration_rows > distinct_items
        or items_outside_mask > 0
        or min_header_hash <> max_header_hash
),

single_raw as (
    select raw_rows.*
    from ({{ raw_rows }}) as raw_rows
    left join several_row_declarations
        on {{ hash_key(['raw_rows.declaration_id']) }} = several_row_declarations.declaration_hash
            and raw_rows.declaration_id is not null
            and raw_rows.item_no is not null
    where several_row_declarations.declaration_hash is null
),

several_raw as (
    -- the key filter runs beside the raw reader, so only these few rows are typed
    -- (issue 13: typing every row a second time cost ~0.4 of 4.4 CPU-s at 1M); the
    -- join below is exact on the key
    select raw_rows.*
    from ({{ several_raw_rows }}) as raw_rows
    inner join several_row_declarations
        on {{ hash_key(['raw_rows.declaration_id']) }} = several_row_declarations.declaration_hash
            and raw_rows.declaration_id is not null
            and raw_rows.item_no is not null
),

single_checked as (
    {{ declaration_lines_checked('single_raw') | indent(4) }}
),

several_new_checked as (
    {{ declaration_lines_checked('several_raw') | indent(4) }}
),

several_rows as (
    {% if is_incremental() -%}
        select {{ stored_columns | join(', ') }} from several_new_checked
        union all
        select {{ stored_columns | join(', ') }} from stored_lines
    {%- else -%}
        select * from several_new_checked
    {%- endif %}
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

several_line_status as (
    select
        several_checked.*,
        case
            when several_checked._reject_reasons <> '' then 'rejected'
            when several_checked.line_version < max(
                    case when several_checked._reject_reasons = '' then several_checked.line_version end
                ) over (partition by several_checked.declaration_id, several_checked.item_no)
                then 'superseded'
            else 'staged'
        end as _line_status
    from several_checked
),

header_disagreements as (
    -- the lines of a declaration that would be staged must agree on its header columns
    -- (else it would count for two operators, dates or flows): every such line is
    -- quarantined, naming the column and two of the values seen
    select
        declaration_id,
        {{ reject_reasons(header_disagreement_reasons(header_columns)) }} as header_reasons
    from several_line_status
    where _line_status = 'staged'
    group by declaration_id
),

several_final as (
    select
        {% for column in checked_columns -%}
            several_line_status.{{ column }},
        {% endfor -%}
        case
            when several_line_status._line_status = 'staged' and header_disagreements.header_reasons <> ''
                then header_disagreements.header_reasons
            else several_line_status._reject_reasons
        end as _reject_reasons,
        case
            when several_line_status._line_status = 'staged' and header_disagreements.header_reasons <> ''
                then 'rejected'
            else several_line_status._line_status
        end as _row_status
    from several_line_status
    left join header_disagreements
        on several_line_status.declaration_id = header_disagreements.declaration_id
),

single_final as (
    select
        {% for column in checked_columns -%}
            single_checked.{{ column }},
        {% endfor -%}
        single_checked._row_reasons as _reject_reasons,
        case when single_checked._row_reasons <> '' then 'rejected' else 'staged' end as _row_status
    from single_checked
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

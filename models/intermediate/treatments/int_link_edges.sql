{#- M9 (links among traders): distinct edges between the parties of import lines with
    a sensitive tariff line (int_sensitive_hs_codes) in the window: importer-broker
    (declarant_id, when it is not the importer itself) and importer-foreign supplier.
    Lines are aggregated per party combination first, then per counterpart and tariff
    line (so the distinct tariff lines of an edge are a plain count), so the edge list is
    small even on millions of lines. Strength = shared sensitive lines, their value and the distinct
    sensitive tariff lines. An edge needs var link_min_shared_lines lines; a broker or
    supplier linked to more than var link_hub_max_degree importers is a hub whose edges
    are kept but do not propagate cluster labels (a large broker would otherwise join
    the whole market into one group). -#}

with

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
    where flow = 'I'
),

sensitive_hs_codes as (
    select hs_code from {{ ref('int_sensitive_hs_codes') }}
),

party_lines as (
    select
        declarations.tin,
        declarations.declarant_id,
        declarations.supplier_id,
        declarations.hs_code,
        count(*) as lines,
        sum(declarations.customs_value_usd) as customs_value_usd
    from declarations
    inner join sensitive_hs_codes
        on declarations.hs_code = sensitive_hs_codes.hs_code
    group by declarations.tin, declarations.declarant_id, declarations.supplier_id, declarations.hs_code
),

-- per importer, counterpart and sensitive tariff line (one row per tariff line, so the
-- distinct tariff lines of an edge are a count)
pair_hs_codes as (
    select
        'importer' as party_a_type,
        tin as party_a_id,
        'broker' as party_b_type,
        declarant_id as party_b_id,
        hs_code,
        sum(lines) as lines,
        sum(customs_value_usd) as customs_value_usd
    from party_lines
    where declarant_id is not null and declarant_id <> tin
    group by tin, declarant_id, hs_code
    union all
    select
        'importer' as party_a_type,
        tin as party_a_id,
        'supplier' as party_b_type,
        supplier_id as party_b_id,
        hs_code,
        sum(lines) as lines,
        sum(customs_value_usd) as customs_value_usd
    from party_lines
    where supplier_id is not null
    group by tin, supplier_id, hs_code
),

edges as (
    select
        party_a_type,
        party_a_id,
        party_b_type,
        party_b_id,
        party_a_type || ':' || party_a_id as node_a,
        party_b_type || ':' || party_b_id as node_b,
        sum(lines) as shared_lines,
        sum(customs_value_usd) as shared_value_usd,
        count(*) as shared_hs_codes
    from pair_hs_codes
    group by party_a_type, party_a_id, party_b_type, party_b_id
    having sum(lines) >= {{ var('link_min_shared_lines') }}
),

node_degrees as (
    select
        node,
        count(*) as degree
    from (
        select node_a as node from edges
        union all
        select node_b as node from edges
    ) as endpoints
    group by node
),

final as (
    select
        edges.*,
        degree_a.degree as degree_a,
        degree_b.degree as degree_b,
        degree_b.degree <= {{ var('link_hub_max_degree') }} as is_propagating
    from edges
    inner join node_degrees as degree_a
        on edges.node_a = degree_a.node
    inner join node_degrees as degree_b
        on edges.node_b = degree_b.node
)

select * from final

{#- M9 (note: the GRI in studies of fraud links among traders): one row per link
    between an importer and a broker or foreign supplier through sensitive tariff
    lines in the window, with its strength, whether it joins clusters (hubs do not)
    and the cluster both ends belong to. -#}

with

edges as (
    select * from {{ ref('int_link_edges') }}
),

labels as (
    select * from {{ ref('int_link_nodes_labelled') }}
),

operators as (
    select
        tin,
        gri,
        risk_level
    from {{ ref('dim_operators') }}
),

final as (
    select
        edges.node_a || '|' || edges.node_b as link_id,
        edges.party_a_type,
        edges.party_a_id,
        edges.party_b_type,
        edges.party_b_id,
        cast(edges.shared_lines as integer) as shared_lines,
        cast(edges.shared_value_usd as {{ type_double() }}) as shared_value_usd,
        cast(edges.shared_hs_codes as integer) as shared_hs_codes,
        cast(edges.degree_a as integer) as importer_degree,
        cast(edges.degree_b as integer) as counterpart_degree,
        edges.is_propagating,
        case when edges.is_propagating then labels.cluster_id end as cluster_id,
        cast(operators.gri as {{ type_double() }}) as importer_gri,
        operators.risk_level as importer_risk_level
    from edges
    inner join labels
        on edges.node_a = labels.node
    left join operators
        on edges.party_a_id = operators.tin
)

select {{ stable_select() }} from final

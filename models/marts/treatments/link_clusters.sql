{#- M9: one row per connected group of linked parties (int_link_nodes_labelled): size,
    members by type, the max and mean GRI of its importers, the value of its links,
    high-risk importers, and a rank putting clusters with high-risk members first
    (then by max GRI and value). Hubs form single-member groups. -#}

with

labels as (
    select * from {{ ref('int_link_nodes_labelled') }}
),

edges as (
    select * from {{ ref('int_link_edges') }}
    where is_propagating
),

operators as (
    select
        tin,
        gri,
        risk_level
    from {{ ref('dim_operators') }}
),

members as (
    select
        labels.cluster_id,
        count(*) as members,
        sum(case when labels.party_type = 'importer' then 1 else 0 end) as importers,
        sum(case when labels.party_type = 'broker' then 1 else 0 end) as brokers,
        sum(case when labels.party_type = 'supplier' then 1 else 0 end) as suppliers,
        max(operators.gri) as max_gri,
        avg(operators.gri) as mean_gri,
        sum(case when operators.risk_level = 'high' then 1 else 0 end) as high_risk_importers,
        sum(case when operators.risk_level = 'medium' then 1 else 0 end) as medium_risk_importers,
        min(case when labels.is_converged then 1 else 0 end) = 1 as is_converged
    from labels
    left join operators
        on labels.party_type = 'importer' and labels.party_id = operators.tin
    group by labels.cluster_id
),

cluster_edges as (
    select
        labels.cluster_id,
        count(*) as links,
        sum(edges.shared_lines) as shared_lines,
        sum(edges.shared_value_usd) as shared_value_usd
    from edges
    inner join labels
        on edges.node_a = labels.node
    group by labels.cluster_id
),

final as (
    select
        members.cluster_id,
        cast(row_number() over (
            order by
                members.high_risk_importers desc,
                coalesce(members.max_gri, 0) desc,
                coalesce(cluster_edges.shared_value_usd, 0) desc,
                members.cluster_id
        ) as integer) as cluster_rank,
        cast(members.members as integer) as cluster_size,
        cast(members.importers as integer) as importers,
        cast(members.brokers as integer) as brokers,
        cast(members.suppliers as integer) as suppliers,
        cast(coalesce(cluster_edges.links, 0) as integer) as links,
        cast(coalesce(cluster_edges.shared_lines, 0) as integer) as shared_lines,
        cast(coalesce(cluster_edges.shared_value_usd, 0) as {{ type_double() }}) as shared_value_usd,
        cast(members.max_gri as {{ type_double() }}) as max_gri,
        cast(members.mean_gri as {{ type_double() }}) as mean_gri,
        cast(members.high_risk_importers as integer) as high_risk_importers,
        cast(members.medium_risk_importers as integer) as medium_risk_importers,
        members.is_converged
    from members
    left join cluster_edges
        on members.cluster_id = cluster_edges.cluster_id
)

select {{ stable_select() }} from final

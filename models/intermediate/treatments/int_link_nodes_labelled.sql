{#- M9: connected groups of linked parties by min-label propagation over the
    propagating edges of int_link_edges, unrolled var link_iterations times. Each round
    a node takes the smallest of its own label, its neighbours' labels and the label of
    its label (a pointer jump, which roughly halves the rounds a long chain needs).
    Convergence check: one more round is computed; is_converged is false for a node
    whose label would still change (then raise link_iterations).
    Speed: the rounds run on integer node numbers (dense_rank in node order, so the
    smallest number is the smallest node key and the labels are the same), mapped back
    to the node keys at the end; joins and minima on integers instead of strings.
    The rounds are CTEs from link_label_rounds (on Spark, written so that a round reads the
    one before once). -#}
{%- set iterations = var('link_iterations') | int -%}

with

edges as (
    select * from {{ ref('int_link_edges') }}
),

nodes as (
    select
        node_a as node,
        party_a_type as party_type,
        party_a_id as party_id
    from edges
    union
    select
        node_b as node,
        party_b_type as party_type,
        party_b_id as party_id
    from edges
),

numbered as (
    select
        node,
        party_type,
        party_id,
        dense_rank() over (order by node) as node_no
    from nodes
),

node_keys as (
    select distinct
        node,
        node_no
    from numbered
),

propagating_edges as (
    select
        keys_a.node_no as node_a,
        keys_b.node_no as node_b
    from edges
    inner join node_keys as keys_a
        on edges.node_a = keys_a.node
    inner join node_keys as keys_b
        on edges.node_b = keys_b.node
    where edges.is_propagating
),

directed as (
    select
        node_a as node,
        node_b as neighbour
    from propagating_edges
    union all
    select
        node_b as node,
        node_a as neighbour
    from propagating_edges
),

labels_0 as (
    select
        node_no as node,
        node_no as cluster_label
    from node_keys
),

{{ link_label_rounds(iterations + 1) }}

final as (
    select
        numbered.node,
        numbered.party_type,
        numbered.party_id,
        cluster_nodes.node as cluster_id,
        labels_{{ iterations }}.cluster_label = labels_{{ iterations + 1 }}.cluster_label as is_converged
    from numbered
    inner join labels_{{ iterations }}
        on numbered.node_no = labels_{{ iterations }}.node
    inner join labels_{{ iterations + 1 }}
        on numbered.node_no = labels_{{ iterations + 1 }}.node
    inner join node_keys as cluster_nodes
        on labels_{{ iterations }}.cluster_label = cluster_nodes.node_no
)

select * from final

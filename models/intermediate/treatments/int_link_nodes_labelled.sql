{#- M9: connected groups of linked parties by min-label propagation over the
    propagating edges of int_link_edges, unrolled var link_iterations times. Each round
    a node takes the smallest of its own label, its neighbours' labels and the label of
    its label (a pointer jump, which roughly halves the rounds a long chain needs).
    Convergence check: one more round is computed; is_converged is false for a node
    whose label would still change (then raise link_iterations). -#}
{%- set iterations = var('link_iterations') | int -%}

with

edges as (
    select * from {{ ref('int_link_edges') }}
),

directed as (
    select
        node_a as node,
        node_b as neighbour
    from edges
    where is_propagating
    union all
    select
        node_b as node,
        node_a as neighbour
    from edges
    where is_propagating
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

labels_0 as (
    select
        node,
        node as label
    from nodes
),

{% for i in range(1, iterations + 2) %}
neighbour_min_{{ i }} as (
    select
        directed.node,
        min(labels_{{ i - 1 }}.label) as label
    from directed
    inner join labels_{{ i - 1 }}
        on directed.neighbour = labels_{{ i - 1 }}.node
    group by directed.node
),

labels_{{ i }} as (
    select
        labels_{{ i - 1 }}.node,
        least(
            labels_{{ i - 1 }}.label,
            coalesce(neighbour_min_{{ i }}.label, labels_{{ i - 1 }}.label),
            coalesce(label_of_label_{{ i }}.label, labels_{{ i - 1 }}.label)
        ) as label
    from labels_{{ i - 1 }}
    left join neighbour_min_{{ i }}
        on labels_{{ i - 1 }}.node = neighbour_min_{{ i }}.node
    left join labels_{{ i - 1 }} as label_of_label_{{ i }}
        on labels_{{ i - 1 }}.label = label_of_label_{{ i }}.node
),
{% endfor %}

final as (
    select
        nodes.node,
        nodes.party_type,
        nodes.party_id,
        labels_{{ iterations }}.label as cluster_id,
        labels_{{ iterations }}.label = labels_{{ iterations + 1 }}.label as is_converged
    from nodes
    inner join labels_{{ iterations }}
        on nodes.node = labels_{{ iterations }}.node
    inner join labels_{{ iterations + 1 }}
        on nodes.node = labels_{{ iterations + 1 }}.node
)

select * from final

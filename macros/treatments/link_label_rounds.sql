{#- M9: the rounds of min-label propagation of int_link_nodes_labelled, as CTEs for the
    caller's WITH list: labels_1 .. labels_<rounds>, each from the one before, starting from
    labels_0 (node, cluster_label) over the edges of `directed` (node, neighbour), both CTEs of
    the caller. A node takes the smallest of its own label, its neighbours' labels and the
    label of its label. -#}
{% macro link_label_rounds(rounds) -%}
    {{ return(adapter.dispatch('link_label_rounds', 'customs_cip')(rounds)) }}
{%- endmacro %}

{#- DuckDB and Postgres compute a CTE that is read several times once: a round reads the
    one before three times. -#}
{% macro default__link_label_rounds(rounds) -%}
{% for i in range(1, rounds + 1) %}
neighbour_min_{{ i }} as (
    select
        directed.node,
        min(labels_{{ i - 1 }}.cluster_label) as cluster_label
    from directed
    inner join labels_{{ i - 1 }}
        on directed.neighbour = labels_{{ i - 1 }}.node
    group by directed.node
),

labels_{{ i }} as (
    select
        labels_{{ i - 1 }}.node,
        least(
            labels_{{ i - 1 }}.cluster_label,
            coalesce(neighbour_min_{{ i }}.cluster_label, labels_{{ i - 1 }}.cluster_label),
            coalesce(label_of_label_{{ i }}.cluster_label, labels_{{ i - 1 }}.cluster_label)
        ) as cluster_label
    from labels_{{ i - 1 }}
    left join neighbour_min_{{ i }}
        on labels_{{ i - 1 }}.node = neighbour_min_{{ i }}.node
    left join labels_{{ i - 1 }} as label_of_label_{{ i }}
        on labels_{{ i - 1 }}.cluster_label = label_of_label_{{ i }}.node
),
{% endfor %}
{%- endmacro %}

{#- Spark inlines every CTE at each place it is read: three reads per round made the plan
    grow as 3^rounds, and the driver never finished planning 7 rounds. Here a round reads the
    one before once: every label a node may take is asked for in one list of lookups (the
    node itself, its label, its neighbours), answered by a window over the node asked about,
    and the smallest answer is kept. Same candidates, so the same labels. -#}
{% macro spark__link_label_rounds(rounds) -%}
{% for i in range(1, rounds + 1) %}
label_lookups_{{ i }} as (
    -- side 1: the node's own label (answers every lookup of that node); side 2: the label of its label
    select
        labels_{{ i - 1 }}.node,
        case when sides.side = 1 then labels_{{ i - 1 }}.node else labels_{{ i - 1 }}.cluster_label end as asked_node,
        case when sides.side = 1 then labels_{{ i - 1 }}.cluster_label end as known_label
    from labels_{{ i - 1 }}
    cross join (values (1), (2)) as sides (side)
    union all
    select
        directed.node,
        directed.neighbour as asked_node,
        cast(null as int) as known_label
    from directed
),

label_answers_{{ i }} as (
    select
        node,
        max(known_label) over (partition by asked_node) as cluster_label
    from label_lookups_{{ i }}
),

labels_{{ i }} as (
    select
        node,
        min(cluster_label) as cluster_label
    from label_answers_{{ i }}
    group by node
),
{% endfor %}
{%- endmacro %}

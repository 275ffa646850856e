{{ config(severity='warn') }}
-- M9 convergence check: after var link_iterations rounds of label propagation no label
-- would change in one more round. A warning lists the nodes still moving: raise
-- link_iterations.
with

labels as (
    select * from {{ ref('int_link_nodes_labelled') }}
),

final as (
    select
        node,
        cluster_id
    from labels
    where not is_converged
)

select * from final

-- M14: priority bands do not overlap or leave gaps; only the top band is open-ended.
with

priority_bands as (
    select * from {{ ref('priority_bands') }}
),

ordered as (
    select
        band,
        min_priority,
        max_priority,
        lead(min_priority) over (order by band_order) as next_min_priority
    from priority_bands
),

final as (
    select *
    from ordered
    where
        (next_min_priority is not null and (max_priority is null or max_priority != next_min_priority))
        or (next_min_priority is null and max_priority is not null)
        or max_priority <= min_priority
)

select * from final

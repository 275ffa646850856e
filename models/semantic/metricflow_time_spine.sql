{#- M17-M19: the day calendar MetricFlow joins metrics to (time spine of the semantic
    layer, docs/semantic_layer.md). One row per day from 2000 to 2049. -#}

with

days as (
    select cast(range as date) as date_day
    from range(date '2000-01-01', date '2050-01-01', interval 1 day)
),

final as (
    select date_day from days
)

select * from final

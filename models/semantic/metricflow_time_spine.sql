{#- M17-M19: the day calendar MetricFlow joins metrics to (time spine of the semantic
    layer, docs/semantic_layer.md). One row per day from 2000 to 2049. -#}

with

days as (
    {{ day_series('2000-01-01', '2050-01-01') | indent(4) }}
),

final as (
    select date_day from days
)

select * from final

{#- M10/M21: the months with staged declarations, with their quarter: the spine the
    point-in-time monthly and quarterly tables are computed on (months without any
    declaration have nothing to score and are absent). -#}

with

months as (
    select distinct declaration_month as month_start
    from {{ ref('stg_customs__declarations') }}
),

final as (
    select
        month_start,
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, dbt.date_trunc('quarter', 'month_start'))) }} as date)
            as quarter_end,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('quarter', 'month_start')) }} as date) as previous_quarter_end
    from months
)

select * from final

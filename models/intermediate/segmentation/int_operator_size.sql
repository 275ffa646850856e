{#- M1 (note Step 1): size segment of every operator from its CIF (imports) plus FOB
    (exports) value in USD over the window; thresholds are vars. -#}

with

operators as (
    select * from {{ ref('int_operator_transactions') }}
),

final as (
    select
        tin,
        trade_value_usd,
        case
            when trade_value_usd >= {{ var('size_large_min_usd') }} then 'large'
            when trade_value_usd >= {{ var('size_medium_min_usd') }} then 'medium'
            else 'small'
        end as size_segment,
        case
            when trade_value_usd >= {{ var('size_large_min_usd') }} then 1
            when trade_value_usd >= {{ var('size_medium_min_usd') }} then 2
            else 3
        end as size_sort_order
    from operators
)

select * from final

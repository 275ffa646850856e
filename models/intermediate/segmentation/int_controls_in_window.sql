{{ config(materialized='view') }}
{#- Control results closed inside the evaluation window. -#}

with

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select control_results.*
    from control_results
    cross join evaluation_window
    where control_results.control_date between evaluation_window.window_start and evaluation_window.as_of_date
)

select * from final

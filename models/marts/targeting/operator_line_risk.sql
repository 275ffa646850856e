{#- M4/M10 fed back to the operator: per operator, the irregular lines the learned
    declaration score expects among its lines of the evaluation window (the sum of the
    line probabilities: score_gbm, else score_sql), beside the lines scored. The
    operator-level backtest ranks operators by it next to the GRI of each technique. -#}

with

lines as (
    select * from {{ ref('declaration_risk') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select
        lines.tin,
        cast(count(*) as integer) as lines_scored,
        cast(sum(coalesce(lines.score_gbm, lines.score_sql)) as {{ type_double() }}) as expected_irregular_lines,
        cast(avg(coalesce(lines.score_gbm, lines.score_sql)) as {{ type_double() }}) as expected_irregular_share,
        cast(sum(coalesce(lines.score_gbm, lines.score_sql) * lines.customs_value_usd) as {{ type_double() }})
            as expected_irregular_value_usd
    from lines
    cross join evaluation_window
    where lines.declaration_date between evaluation_window.window_start and evaluation_window.as_of_date
    group by lines.tin
)

select {{ stable_select() }} from final

{#- M10 (note: the GRI as input to the annual PCA plan): every operator of
    int_operators_profiled with the inputs of its revenue at stake, the date of its
    last PCA and the indicators behind its GRI. Ranking and capacity are applied in
    the pca_plan mart, which also sets the audit type. revenue_at_stake_usd = GRI x (duty + VAT + excise paid in the
    window, USD) + var pca_reassessment_blend x amount reassessed in the window (USD). -#}

with

operators as (
    select * from {{ ref('int_operators_profiled') }}
),

transactions as (
    select * from {{ ref('int_operator_transactions') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

last_pcas as (
    select
        control_results.tin,
        max(control_results.control_date) as last_pca_date
    from {{ ref('stg_customs__control_results') }} as control_results
    cross join evaluation_window
    where control_results.control_type = 'pca'
        and control_results.control_date <= evaluation_window.as_of_date
    group by control_results.tin
),

indicators as (
    select
        tin,
        {{ dbt.listagg(
            "indicator_code || ' (' || cast(" ~ round_double('final_weight', 3) ~ " as " ~ type_text() ~ ") || ')'",
            "', '",
            'order by contribution_rank'
        ) }} as contributing_indicators
    from {{ ref('int_operator_gri_contributions') }}
    group by tin
),

final as (
    select
        operators.tin,
        operators.size_segment,
        operators.risk_level,
        risk_levels.sort_order as risk_sort_order,
        operators.gri,
        operators.duty_paid_usd + operators.vat_paid_usd + operators.excise_paid_usd as taxes_paid_usd,
        operators.amount_reassessed_lcu
        * {{ safe_divide(
            'transactions.duty_paid_usd + transactions.vat_paid_usd + transactions.excise_paid_usd',
            'transactions.duty_paid_lcu + transactions.vat_paid_lcu + transactions.excise_paid_lcu'
        ) }} as amount_reassessed_usd,
        last_pcas.last_pca_date,
        coalesce(
            last_pcas.last_pca_date
            > cast({{ dbt.dateadd('month', -1 * (var('pca_exclusion_months') | int), 'evaluation_window.as_of_date') }} as date),
            false
        ) as has_recent_pca,
        indicators.contributing_indicators,
        evaluation_window.as_of_date
    from operators
    cross join evaluation_window
    inner join risk_levels
        on operators.risk_level = risk_levels.risk_level
    inner join transactions
        on operators.tin = transactions.tin
    left join last_pcas
        on operators.tin = last_pcas.tin
    left join indicators
        on operators.tin = indicators.tin
)

select * from final

{#- M1/M5/M6/M7: one row per operator active in the window: size, values, taxes,
    global GRI and risk level, the indicators that contribute most to it, and its
    control history. The operator view the treatments start from; the mart
    dim_operators publishes it for BI tools. -#}

with

transactions as (
    select * from {{ ref('int_operator_transactions') }}
),

sizes as (
    select * from {{ ref('int_operator_size') }}
),

controls as (
    select * from {{ ref('int_operator_controls') }}
),

tax_records as (
    select * from {{ ref('int_operator_tax_records') }}
),

global_gri as (
    select * from {{ ref('int_operator_gri_selected') }}
    where gri_type = 'global'
),

flags as (
    select * from {{ ref('int_operator_indicator_values') }}
    where flag = 1
),

contributions as (
    select * from {{ ref('int_operator_gri_contributions') }}
),

top_contributions as (
    select
        tin,
        {{ dbt.listagg('indicator_code', "', '", 'order by contribution_rank') }} as top_indicators,
        count(*) as contributing_indicators
    from contributions
    where contribution_rank <= {{ var('top_indicators_per_operator') }}
    group by tin
),

flag_counts as (
    select
        tin,
        count(*) as flags_raised
    from flags
    group by tin
),

final as (
    select
        -- ids
        transactions.tin,
        tax_records.isic_code,
        -- size (M1)
        sizes.size_segment,
        sizes.size_sort_order,
        cast(transactions.trade_value_usd as {{ type_double() }}) as trade_value_usd,
        cast(transactions.import_value_usd as {{ type_double() }}) as import_value_usd,
        cast(transactions.export_value_usd as {{ type_double() }}) as export_value_usd,
        cast(transactions.duty_paid_usd as {{ type_double() }}) as duty_paid_usd,
        cast(transactions.vat_paid_usd as {{ type_double() }}) as vat_paid_usd,
        cast(transactions.excise_paid_usd as {{ type_double() }}) as excise_paid_usd,
        cast(transactions.declarations as integer) as declarations,
        cast(transactions.lines as integer) as declaration_lines,
        transactions.is_aeo,
        transactions.first_declaration_date,
        transactions.last_declaration_date,
        -- risk (M5, M6)
        global_gri.gri,
        global_gri.risk_level,
        cast(coalesce(flag_counts.flags_raised, 0) as integer) as flags_raised,
        top_contributions.top_indicators,
        -- controls (M7, M21)
        cast(coalesce(controls.controls, 0) as integer) as controls_in_window,
        coalesce(controls.controls, 0) = 0 as is_without_control,
        cast(coalesce(controls.pcas, 0) as integer) as pcas_in_window,
        controls.last_pca_date,
        cast(coalesce(controls.irregular_controls, 0) as integer) as irregular_controls,
        cast(coalesce(controls.quarters_with_irregularity, 0) as integer) as quarters_with_irregularity,
        {{ is_repeat_offender('coalesce(controls.quarters_with_irregularity, 0)') }} as is_repeat_offender,
        cast(coalesce(controls.amount_reassessed_lcu, 0) as {{ type_double() }}) as amount_reassessed_lcu,
        global_gri.as_of_date
    from transactions
    inner join sizes
        on transactions.tin = sizes.tin
    inner join global_gri
        on transactions.tin = global_gri.tin
    left join controls
        on transactions.tin = controls.tin
    left join tax_records
        on transactions.tin = tax_records.tin
    left join top_contributions
        on transactions.tin = top_contributions.tin
    left join flag_counts
        on transactions.tin = flag_counts.tin
)

select * from final

{#- M2/M7/M21: per operator, what controls in the window found: examined lines and
    serious findings (serious-violation indicator), quarters with a detected customs
    irregularity (repeat offender), PCAs and amounts reassessed. -#}

with

examined_lines as (
    select * from {{ ref('int_examined_lines') }}
),

controls as (
    select * from {{ ref('int_controls_in_window') }}
),

examined_by_operator as (
    select
        tin,
        {{- operator_examined_count_columns() }}
    from examined_lines
    group by tin
),

controls_by_operator as (
    select
        tin,
        count(*) as controls,
        sum(case when control_type = 'pca' then 1 else 0 end) as pcas,
        max(case when control_type = 'pca' then control_date end) as last_pca_date,
        sum(case when is_irregular then 1 else 0 end) as irregular_controls,
        {{ operator_irregular_quarters() }} as quarters_with_irregularity,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(amount_collected_lcu) as amount_collected_lcu
    from controls
    group by tin
),

final as (
    select
        coalesce(controls_by_operator.tin, examined_by_operator.tin) as tin,
        coalesce(controls_by_operator.controls, 0) as controls,
        coalesce(controls_by_operator.pcas, 0) as pcas,
        controls_by_operator.last_pca_date,
        coalesce(controls_by_operator.irregular_controls, 0) as irregular_controls,
        coalesce(controls_by_operator.quarters_with_irregularity, 0) as quarters_with_irregularity,
        coalesce(controls_by_operator.amount_reassessed_lcu, 0) as amount_reassessed_lcu,
        coalesce(controls_by_operator.amount_collected_lcu, 0) as amount_collected_lcu,
        coalesce(examined_by_operator.examined_lines, 0) as examined_lines,
        coalesce(examined_by_operator.irregular_examined_lines, 0) as irregular_examined_lines,
        coalesce(examined_by_operator.serious_examined_lines, 0) as serious_examined_lines
    from controls_by_operator
    full outer join examined_by_operator
        on controls_by_operator.tin = examined_by_operator.tin
)

select * from final

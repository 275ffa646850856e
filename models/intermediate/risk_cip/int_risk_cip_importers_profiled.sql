{#- M16 (note Annex 3, table 2): every importer of a linked tariff line with its size
    segment (M1), its risk level on the risk-specific GRI of the selected risk (M5/M6)
    and whether it is a repeat offender for that risk (macro is_repeat_offender on the
    quarters with an offence of the risk in the last 12 months), and the same over the
    12 months before (for the variation). -#}

with

importer_codes as (
    select * from {{ ref('int_risk_cip_importer_codes') }}
),

operators as (
    select * from {{ ref('int_operators_profiled') }}
),

risk_gri as (
    select * from {{ ref('int_operator_gri_selected') }}
    where gri_type = '{{ var("risk_cip_risk_type") }}'
),

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
    where is_irregular
),

selected_risk as (
    select * from {{ ref('int_risk_cip_selected_risk') }}
    where outcome_source = 'customs_offence'
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

importers as (
    select distinct tin
    from importer_codes
),

year_bounds as (
    select
        as_of_date,
        cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -12, 'as_of_date')) }} as date) as current_year_start,
        cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -24, 'as_of_date')) }} as date) as previous_year_start
    from evaluation_window
),

risk_offences as (
    select
        control_results.tin,
        control_results.control_date,
        control_results.control_date >= year_bounds.current_year_start as is_current_year
    from control_results
    inner join selected_risk
        on control_results.offence_type = selected_risk.outcome_code
    cross join year_bounds
    where control_results.control_date between year_bounds.previous_year_start and year_bounds.as_of_date
),

offence_quarters as (
    select
        tin,
        {{ offence_quarters('control_date', 'is_current_year') }} as offence_quarters_current_year,
        {{ offence_quarters('control_date', 'not is_current_year') }} as offence_quarters_previous_year
    from risk_offences
    group by tin
),

final as (
    select
        importers.tin,
        coalesce(operators.size_segment, 'small') as size_segment,
        cast(risk_gri.gri as {{ type_double() }}) as risk_gri,
        coalesce(risk_gri.risk_level, 'low') as risk_level,
        coalesce(offence_quarters.offence_quarters_current_year, 0) as offence_quarters_current_year,
        coalesce(offence_quarters.offence_quarters_previous_year, 0) as offence_quarters_previous_year,
        {{ is_repeat_offender('coalesce(offence_quarters.offence_quarters_current_year, 0)') }}
            as is_repeat_offender,
        {{ is_repeat_offender('coalesce(offence_quarters.offence_quarters_previous_year, 0)') }}
            as was_repeat_offender_previous_year
    from importers
    left join operators
        on importers.tin = operators.tin
    left join risk_gri
        on importers.tin = risk_gri.tin
    left join offence_quarters
        on importers.tin = offence_quarters.tin
)

select * from final

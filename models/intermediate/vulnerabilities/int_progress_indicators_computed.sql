-- M15: progress indicators computed from declarations and control results, per calendar year
-- (Annex 2 table A2.4 and example 2). One row per computation name and period.
with

declarations as (
    -- every indicator below is about imports: the other lines are left out before the
    -- roll-up, the costliest step at scale (issue 7)
    select
        declaration_id,
        flow,
        transport_mode,
        tin,
        declaration_date,
        manifest_filed_in_advance,
        has_e_value_declaration
    from {{ ref('stg_customs__declarations') }}
    where flow = 'I'
),

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

-- a declaration counts once, whatever its number of items
declarations_rolled_up as (
    select
        declaration_id,
        flow,
        transport_mode,
        tin,
        cast(extract(year from min(declaration_date)) as integer) as declaration_year,
        max(case when manifest_filed_in_advance then 1 else 0 end) as has_manifest_in_advance,
        max(case when has_e_value_declaration then 1 else 0 end) as has_e_value_declaration
    from declarations
    group by declaration_id, flow, transport_mode, tin
),

sea_manifest_in_advance as (
    select
        'sea_manifest_in_advance' as computation_name,
        declaration_year,
        count(distinct case when has_manifest_in_advance = 1 then declaration_id end) as numerator,
        count(distinct declaration_id) as denominator
    from declarations_rolled_up
    where flow = 'I' and transport_mode = 'sea'
    group by declaration_year
),

import_declarations_e_value_declaration as (
    select
        'import_declarations_e_value_declaration' as computation_name,
        declaration_year,
        count(distinct case when has_e_value_declaration = 1 then declaration_id end) as numerator,
        count(distinct declaration_id) as denominator
    from declarations_rolled_up
    where flow = 'I'
    group by declaration_year
),

importers_e_value_declaration as (
    select
        'importers_e_value_declaration' as computation_name,
        declaration_year,
        count(distinct case when has_e_value_declaration = 1 then tin end) as numerator,
        count(distinct tin) as denominator
    from declarations_rolled_up
    where flow = 'I'
    group by declaration_year
),

valuation_irregularities as (
    select
        tin,
        cast(extract(year from control_date) as integer) as control_year,
        {{ offence_quarters('control_date') }} as quarters_with_irregularity
    from control_results
    where offence_type = 'valuation' and is_irregular
    group by tin, cast(extract(year from control_date) as integer)
),

valuation_repeat_offenders as (
    select
        'valuation_repeat_offenders' as computation_name,
        control_year as declaration_year,
        count(distinct case when {{ is_repeat_offender('quarters_with_irregularity') }} then tin end) as numerator,
        count(distinct tin) as denominator
    from valuation_irregularities
    group by control_year
),

unioned as (
    select * from sea_manifest_in_advance
    union all
    select * from import_declarations_e_value_declaration
    union all
    select * from importers_e_value_declaration
    union all
    select * from valuation_repeat_offenders
),

final as (
    select
        computation_name,
        cast(declaration_year as {{ dbt.type_string() }}) as period,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator
    from unioned
)

select * from final

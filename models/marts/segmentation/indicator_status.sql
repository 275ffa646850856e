{#- M2: every indicator of the catalogue with whether it is active in this run and,
    if not, why (disabled in the catalogue, or a source it needs is absent). M3: how many
    operators an active indicator flags, the range of its raw values, and a note when it
    flags none or all of them: such an indicator tells no operator from another (a threshold
    typed as 30 for a share of 0.30 flags nobody). -#}

with

status as (
    select * from {{ ref('int_indicator_status') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_values as (
    select * from {{ ref('int_operator_indicator_values') }}
),

flag_counts as (
    select
        indicator_code,
        count(raw_value) as operators_with_value,
        sum(flag) as operators_flagged,
        min(raw_value) as raw_value_min,
        max(raw_value) as raw_value_max
    from indicator_values
    group by indicator_code
),

final as (
    select
        status.indicator_code,
        status.category,
        status.indicator_name,
        catalogue.raw_value_definition,
        catalogue.comparison,
        cast(catalogue.threshold as {{ type_double() }}) as threshold,
        catalogue.risk_types,
        catalogue.required_sources,
        status.is_active,
        status.inactive_reason,
        cast(flag_counts.operators_with_value as bigint) as operators_with_value,
        cast(flag_counts.operators_flagged as bigint) as operators_flagged,
        cast(flag_counts.raw_value_min as {{ type_double() }}) as raw_value_min,
        cast(flag_counts.raw_value_max as {{ type_double() }}) as raw_value_max,
        case
            when flag_counts.operators_with_value = 0
                then 'no operator has a raw value in the window'
            when flag_counts.operators_flagged = 0
                then 'flags no operator: no raw value passes the threshold (compare raw_value_max)'
            when flag_counts.operators_flagged = flag_counts.operators_with_value
                then 'flags every operator with a raw value: all pass the threshold (compare raw_value_min)'
        end as flag_note
    from status
    inner join catalogue
        on status.indicator_code = catalogue.indicator_code
    left join flag_counts
        on status.indicator_code = flag_counts.indicator_code
)

select {{ stable_select() }} from final

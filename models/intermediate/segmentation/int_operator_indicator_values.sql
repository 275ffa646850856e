{#- M2/M3: the raw value of every active indicator for every operator of the window,
    and its 0/1 flag from the catalogue's comparison and threshold. Raw values are
    null when the operator has no data for the indicator (flag 0). Each indicator's
    rule is its catalogue row (raw_value_sql over the named counts, macro
    indicator_raw_values); the quarterly history evaluates the same rows. -#}

with

operators as (
    select * from {{ ref('int_operator_transactions') }}
),

controls as (
    select * from {{ ref('int_operator_controls') }}
),

tax_records as (
    select * from {{ ref('int_operator_tax_records') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_status as (
    select * from {{ ref('int_indicator_status') }}
),

operator_counts as (
    select
        operators.tin,
        {{- indicator_count_columns('operators', 'controls', 'tax_records') }}
    from operators
    left join controls
        on operators.tin = controls.tin
    left join tax_records
        on operators.tin = tax_records.tin
),

raw_values as (
    {{- indicator_raw_values('operator_counts', ['tin']) }}
),

final as (
    {{- indicator_flags_select(['tin']) }}
)

select * from final

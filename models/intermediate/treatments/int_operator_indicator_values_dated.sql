{#- M21/M10/M3: the raw value and 0/1 flag of every active indicator for every operator
    at every evaluation date, from the same catalogue rows as the current flags
    (int_operator_indicator_values): raw_value_sql over the dated counts, then the
    catalogue's comparison and threshold. -#}

with

operator_counts as (
    select * from {{ ref('int_operator_counts_dated') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_status as (
    select * from {{ ref('int_indicator_status') }}
),

raw_values as (
    {{- indicator_raw_values('operator_counts', ['as_of_date', 'tin']) }}
),

final as (
    {{- indicator_flags_select(['as_of_date', 'tin']) }}
)

select * from final

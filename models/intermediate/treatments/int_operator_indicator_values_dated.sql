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
    select
        raw_values.as_of_date,
        raw_values.tin,
        raw_values.indicator_code,
        raw_values.raw_value,
        {{ indicator_flag('raw_values.raw_value', 'catalogue.comparison', 'catalogue.threshold') }} as flag
    from raw_values
    inner join catalogue
        on raw_values.indicator_code = catalogue.indicator_code
    inner join indicator_status
        on raw_values.indicator_code = indicator_status.indicator_code
    where indicator_status.is_active
)

select * from final

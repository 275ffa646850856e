-- M1/M7: Table 1 and Table 4 totals equal the staged declarations of the window
-- (operators and CIF/FOB value), and the segment cells add up to the totals.
with

staged as (
    select
        count(distinct tin) as operators,
        sum(customs_value_usd) as trade_value_usd
    from {{ ref('int_declarations_in_window') }}
),

table_1 as (
    select operators, trade_value_usd
    from {{ ref('size_distribution') }}
    where size_segment = 'total'
),

table_4 as (
    select operators, trade_value_usd
    from {{ ref('segment_summary') }}
    where row_type = 'total'
),

table_4_cells as (
    select
        sum(operators) as operators,
        sum(trade_value_usd) as trade_value_usd
    from {{ ref('segment_summary') }}
    where row_type = 'segment'
),

checks as (
    select 'table 1 operators' as check_name, table_1.operators - staged.operators as difference
    from table_1 cross join staged
    union all
    select 'table 1 value', table_1.trade_value_usd - staged.trade_value_usd
    from table_1 cross join staged
    union all
    select 'table 4 operators', table_4.operators - staged.operators
    from table_4 cross join staged
    union all
    select 'table 4 value', table_4.trade_value_usd - staged.trade_value_usd
    from table_4 cross join staged
    union all
    select 'table 4 cells operators', table_4_cells.operators - table_4.operators
    from table_4_cells cross join table_4
    union all
    select 'table 4 cells value', table_4_cells.trade_value_usd - table_4.trade_value_usd
    from table_4_cells cross join table_4
)

select * from checks
where abs(difference) > 1e-6 * (select greatest(trade_value_usd, 1) from staged)

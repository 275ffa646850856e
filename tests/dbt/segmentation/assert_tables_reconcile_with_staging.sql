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
    select
        operators,
        trade_value_usd
    from {{ ref('size_distribution') }}
    where size_segment = 'total'
),

table_4 as (
    select
        sum(case when row_type = 'total' then operators end) as operators,
        sum(case when row_type = 'total' then trade_value_usd end) as trade_value_usd,
        sum(case when row_type = 'segment' then operators end) as cell_operators,
        sum(case when row_type = 'segment' then trade_value_usd end) as cell_trade_value_usd
    from {{ ref('segment_summary') }}
),

compared as (
    select
        table_1.operators - staged.operators as table_1_operators_gap,
        table_1.trade_value_usd - staged.trade_value_usd as table_1_value_gap,
        table_4.operators - staged.operators as table_4_operators_gap,
        table_4.trade_value_usd - staged.trade_value_usd as table_4_value_gap,
        table_4.cell_operators - table_4.operators as table_4_cells_operators_gap,
        table_4.cell_trade_value_usd - table_4.trade_value_usd as table_4_cells_value_gap,
        1e-9 * greatest(staged.trade_value_usd, 1) as value_tolerance
    from staged
    cross join table_1
    cross join table_4
)

select * from compared
where
    table_1_operators_gap <> 0
    or table_4_operators_gap <> 0
    or table_4_cells_operators_gap <> 0
    or abs(table_1_value_gap) > value_tolerance
    or abs(table_4_value_gap) > value_tolerance
    or abs(table_4_cells_value_gap) > value_tolerance

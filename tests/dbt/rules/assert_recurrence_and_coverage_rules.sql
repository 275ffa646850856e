-- Macros offence_quarters, is_repeat_offender and control_covers_line on hand-made rows:
-- A offends twice in one quarter and once in the next (2 quarters), B twice in one
-- quarter (1 quarter); control C1 names item 2 of D1, C2 names no item of D2 (covers
-- both lines). Returns the expectations that do not hold.
{%- set min_quarters = var('repeat_offender_min_quarters') | int %}

with

offences as (
    select
        'A' as tin,
        cast('2024-01-05' as date) as control_date
    union all
    select
        'A' as tin,
        cast('2024-03-30' as date) as control_date
    union all
    select
        'A' as tin,
        cast('2024-04-01' as date) as control_date
    union all
    select
        'B' as tin,
        cast('2024-05-01' as date) as control_date
    union all
    select
        'B' as tin,
        cast('2024-06-30' as date) as control_date
),

operator_quarters as (
    select
        tin,
        {{ offence_quarters('control_date') }} as quarters,
        {{ offence_quarters('control_date', "control_date >= cast('2024-04-01' as date)") }} as quarters_from_april
    from offences
    group by tin
),

controls as (
    select
        'C1' as control_id,
        'D1' as declaration_id,
        cast(2 as integer) as item_no
    union all
    select
        'C2' as control_id,
        'D2' as declaration_id,
        cast(null as integer) as item_no
),

lines as (
    select
        'D1' as declaration_id,
        1 as item_no
    union all
    select
        'D1' as declaration_id,
        2 as item_no
    union all
    select
        'D2' as declaration_id,
        1 as item_no
    union all
    select
        'D2' as declaration_id,
        2 as item_no
    union all
    select
        'D3' as declaration_id,
        1 as item_no
),

covered as (
    select
        controls.control_id,
        count(*) as covered_lines,
        min(lines.item_no) as first_item_no
    from controls
    inner join lines
        on {{ control_covers_line('controls', 'lines') }}
    group by controls.control_id
),

failures as (
    select 'A: 2 quarters, 1 from April' as expectation
    from operator_quarters
    where tin = 'A' and not (quarters = 2 and quarters_from_april = 1)
    union all
    select 'B: 1 quarter' as expectation
    from operator_quarters
    where tin = 'B' and quarters != 1
    union all
    select 'is_repeat_offender follows var repeat_offender_min_quarters' as expectation
    from operator_quarters
    where {{ is_repeat_offender('quarters') }} != (quarters >= {{ min_quarters }})
    union all
    select 'at the threshold: repeat offender, one below: not' as expectation
    where not {{ is_repeat_offender(min_quarters) }} or {{ is_repeat_offender(min_quarters - 1) }}
    union all
    select 'C1 covers item 2 of D1 only' as expectation
    from covered
    where control_id = 'C1' and not (covered_lines = 1 and first_item_no = 2)
    union all
    select 'C2 covers every line of D2' as expectation
    from covered
    where control_id = 'C2' and covered_lines != 2
    union all
    select 'each control covers some line' as expectation
    where (select count(*) from covered) != 2
),

final as (
    select * from failures
)

select * from final

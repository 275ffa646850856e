-- Macro is_risky_by_lift on cases at the edges of each condition (support, hits, lift,
-- a missing overall rate), built from the configured vars so the cases hold for any
-- setting. Returns the cases where the macro disagrees with the rule.
{%- set support = var('risky_min_examined_lines') | int %}

with

cases as (
    select
        'at support, hit rate above lift' as case_name,
        {{ support }} as hit_lines,
        {{ support }} as examined_lines,
        0.9 / {{ var('risky_min_lift') }} as overall_hit_rate,
        true as expected
    union all
    select
        'one line short of support' as case_name,
        {{ support - 1 }} as hit_lines,
        {{ support - 1 }} as examined_lines,
        0.9 / {{ var('risky_min_lift') }} as overall_hit_rate,
        false as expected
    union all
    select
        'hit rate below lift' as case_name,
        {{ support }} as hit_lines,
        {{ support }} as examined_lines,
        1.1 / {{ var('risky_min_lift') }} as overall_hit_rate,
        false as expected
    union all
    select
        'no hit at all, overall rate 0' as case_name,
        0 as hit_lines,
        {{ support }} as examined_lines,
        0.0 as overall_hit_rate,
        false as expected
    union all
    select
        'overall rate unknown' as case_name,
        {{ support }} as hit_lines,
        {{ support }} as examined_lines,
        null as overall_hit_rate,
        false as expected
),

evaluated as (
    select
        case_name,
        expected,
        {{ is_risky_by_lift('hit_lines', 'examined_lines', 'overall_hit_rate') }} as is_risky
    from cases
),

final as (
    select * from evaluated
    where is_risky is null or is_risky != expected
)

select * from final

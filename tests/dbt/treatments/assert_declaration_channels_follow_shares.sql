-- M10: in every month the red lines are the configured share of lines (rounded up), red
-- and yellow together the two shares, and no green line outscores a red one.
with

declaration_risk as (
    select * from {{ ref('declaration_risk') }}
),

by_month as (
    select
        declaration_month,
        count(*) as lines,
        sum(case when recommended_channel = 'red' then 1 else 0 end) as red_lines,
        sum(case when recommended_channel in ('red', 'yellow') then 1 else 0 end) as red_or_yellow_lines,
        min(case when recommended_channel = 'red' then risk_score end) as min_red_score,
        max(case when recommended_channel = 'green' then risk_score end) as max_green_score
    from declaration_risk
    group by declaration_month
),

final as (
    select *
    from by_month
    where red_lines <> ceil({{ var('channel_red_share') }} * lines)
        or red_or_yellow_lines <> least(lines, ceil(({{ var('channel_red_share') }} + {{ var('channel_yellow_share') }}) * lines))
        or max_green_score > min_red_score
)

select * from final

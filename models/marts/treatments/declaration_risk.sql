{#- M10 (declaration-level selectivity feed): a risk score for every staged declaration
    line, using only what was known on its declaration date: the operator's
    point-in-time GRI at the end of the previous quarter (int_operator_gri_quarterly)
    and the line's point-in-time flags (risky HS code, origin, broker, unit value below
    the norm, first-time operator). score = sum of var declaration_weight_<part> x part.
    Within each declaration month the highest-scored var channel_red_share of lines are
    recommended red, the next var channel_yellow_share yellow, the rest green. -#}

with

lines as (
    select * from {{ ref('int_declaration_lines_flagged') }}
),

quarterly_gri as (
    select * from {{ ref('int_operator_gri_quarterly') }}
),

scored as (
    select
        lines.declaration_id,
        lines.item_no,
        lines.tin,
        lines.declaration_date,
        lines.declaration_month,
        lines.flow,
        lines.channel,
        lines.customs_value_usd,
        lines.taxes_paid_usd,
        coalesce(quarterly_gri.gri, 0) as operator_gri,
        lines.previous_quarter_end as operator_gri_as_of,
        lines.is_risky_hs,
        lines.is_risky_origin,
        lines.is_risky_broker,
        lines.is_below_unit_value_norm,
        lines.is_first_time_operator,
        {{ var('declaration_weight_operator_gri') }} * coalesce(quarterly_gri.gri, 0)
        + {{ var('declaration_weight_risky_hs') }} * case when lines.is_risky_hs then 1 else 0 end
        + {{ var('declaration_weight_risky_origin') }} * case when lines.is_risky_origin then 1 else 0 end
        + {{ var('declaration_weight_risky_broker') }} * case when lines.is_risky_broker then 1 else 0 end
        + {{ var('declaration_weight_below_norm') }} * case when lines.is_below_unit_value_norm then 1 else 0 end
        + {{ var('declaration_weight_first_time') }} * case when lines.is_first_time_operator then 1 else 0 end
            as risk_score
    from lines
    left join quarterly_gri
        on lines.tin = quarterly_gri.tin
            and lines.previous_quarter_end = quarterly_gri.period_end
),

ranked as (
    select
        *,
        row_number() over (
            partition by declaration_month order by risk_score desc, declaration_id asc, item_no asc
        ) as month_rank,
        count(*) over (partition by declaration_month) as month_lines
    from scored
),

final as (
    select
        declaration_id,
        cast(item_no as integer) as item_no,
        tin,
        declaration_date,
        declaration_month,
        flow,
        channel as recorded_channel,
        cast(customs_value_usd as {{ type_double() }}) as customs_value_usd,
        cast(taxes_paid_usd as {{ type_double() }}) as taxes_paid_usd,
        cast(operator_gri as {{ type_double() }}) as operator_gri,
        operator_gri_as_of,
        is_risky_hs,
        is_risky_origin,
        is_risky_broker,
        is_below_unit_value_norm,
        is_first_time_operator,
        cast(round(risk_score, 6) as {{ type_double() }}) as risk_score,
        cast(month_rank as integer) as month_rank,
        case
            when month_rank <= ceil({{ var('channel_red_share') }} * month_lines) then 'red'
            when month_rank <= ceil(({{ var('channel_red_share') }} + {{ var('channel_yellow_share') }}) * month_lines)
                then 'yellow'
            else 'green'
        end as recommended_channel
    from ranked
)

select * from final

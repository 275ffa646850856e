{#- M16: per importer of the linked tariff lines, its priced lines, the lines below the
    unit-value lower bound and their share; flagged when it has at least
    var risk_cip_flag_min_lines_below lines below the bound, or more than
    var risk_cip_flag_min_share_below of its priced lines below it (counting from
    var risk_cip_flag_min_lines priced lines). -#}

with

importer_codes as (
    select * from {{ ref('int_risk_cip_importer_codes') }}
    where priced_lines > 0
),

by_importer as (
    select
        tin,
        sum(priced_lines) as priced_lines,
        sum(lines_below_bound) as lines_below_bound,
        sum(value_at_stake_usd) as value_at_stake_usd
    from importer_codes
    group by tin
),

final as (
    select
        *,
        {{ safe_divide('lines_below_bound', 'priced_lines') }} as share_below_bound,
        lines_below_bound >= {{ var('risk_cip_flag_min_lines_below') }}
        or (
            priced_lines >= {{ var('risk_cip_flag_min_lines') }}
            and {{ safe_divide('lines_below_bound', 'priced_lines') }} > {{ var('risk_cip_flag_min_share_below') }}
        ) as is_flagged
    from by_importer
)

select * from final

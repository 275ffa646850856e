{#- M10 (note: uses of the GRI, cargo selectivity): the risk profile of every operator
    sent to the selectivity system: its global GRI, risk level and the share of its
    lines recommended for examination (vars selectivity_share_<level>, multiplied by
    selectivity_aeo_factor for AEO operators). -#}

with

operators as (
    select * from {{ ref('dim_operators') }}
),

shares as (
    select
        tin,
        case risk_level
            when 'high' then {{ var('selectivity_share_high') }}
            when 'medium' then {{ var('selectivity_share_medium') }}
            else {{ var('selectivity_share_low') }}
        end as level_examination_share
    from operators
),

final as (
    select
        operators.tin,
        operators.size_segment,
        cast(operators.gri as {{ type_double() }}) as gri,
        operators.risk_level,
        operators.is_aeo,
        operators.top_indicators,
        cast(shares.level_examination_share as {{ type_double() }}) as level_examination_share,
        cast(
            shares.level_examination_share
            * case when operators.is_aeo then {{ var('selectivity_aeo_factor') }} else 1 end
            as {{ type_double() }}
        ) as recommended_examination_share,
        operators.as_of_date
    from operators
    inner join shares
        on operators.tin = shares.tin
)

select {{ stable_select() }} from final

{#- M10 (note: the GRI as input to the annual PCA plan): the ranked post-clearance
    audit plan for the year after as_of_date. Candidates: operators without a PCA in
    the last var pca_exclusion_months; medium and high risk first (tier 1); low-risk
    operators with a GRI above zero only fill capacity left over (tier 2, var
    pca_fill_with_low_risk). Within each audit type candidates are ranked by tier,
    risk level, revenue at stake and GRI; the first var pca_capacity_<type> are selected. -#}

with

candidates as (
    select * from {{ ref('int_pca_candidates_scored') }}
),

typed as (
    select
        *,
        case size_segment
            when 'large' then 'comprehensive'
            when 'medium' then 'narrowed'
            else 'desk'
        end as audit_type
    from candidates
),

scored as (
    select
        *,
        coalesce(gri, 0) * coalesce(taxes_paid_usd, 0)
        + {{ var('pca_reassessment_blend') }} * coalesce(amount_reassessed_usd, 0) as revenue_at_stake_usd,
        case
            when has_recent_pca then null
            when risk_level in ('high', 'medium') then 1
            {% if var('pca_fill_with_low_risk') -%}
                when gri > 0 then 2
            {%- endif %}
        end as candidate_tier,
        case audit_type
            when 'comprehensive' then {{ var('pca_capacity_comprehensive') }}
            when 'narrowed' then {{ var('pca_capacity_narrowed') }}
            else {{ var('pca_capacity_desk') }}
        end as type_capacity
    from typed
),

ranked as (
    select
        *,
        case when candidate_tier is not null then
                row_number() over (
                    partition by audit_type, candidate_tier is null
                    order by candidate_tier asc, risk_sort_order asc, revenue_at_stake_usd desc, gri desc, tin asc
                )
        end as rank_in_type,
        case when candidate_tier is not null then
                row_number() over (
                    partition by candidate_tier is null
                    order by candidate_tier asc, risk_sort_order asc, revenue_at_stake_usd desc, gri desc, tin asc
                )
        end as plan_rank
    from scored
),

final as (
    select
        tin,
        size_segment,
        risk_level,
        cast(gri as {{ type_double() }}) as gri,
        audit_type,
        cast(taxes_paid_usd as {{ type_double() }}) as taxes_paid_usd,
        cast(coalesce(amount_reassessed_usd, 0) as {{ type_double() }}) as amount_reassessed_usd,
        cast(revenue_at_stake_usd as {{ type_double() }}) as revenue_at_stake_usd,
        last_pca_date,
        has_recent_pca,
        cast(candidate_tier as integer) as candidate_tier,
        cast(rank_in_type as integer) as rank_in_type,
        cast(plan_rank as integer) as plan_rank,
        cast(type_capacity as integer) as type_capacity,
        coalesce(rank_in_type <= type_capacity, false) as is_selected,
        case
            when has_recent_pca then 'excluded: PCA within {{ var("pca_exclusion_months") }} months'
            when candidate_tier is null then 'not a candidate: low risk'
            when rank_in_type <= type_capacity and candidate_tier = 1 then 'selected: ' || risk_level || ' risk'
            when rank_in_type <= type_capacity then 'selected: low risk, spare capacity'
            else 'reserve: beyond ' || audit_type || ' capacity'
        end as plan_status,
        contributing_indicators,
        as_of_date
    from ranked
)

select {{ stable_select() }} from final

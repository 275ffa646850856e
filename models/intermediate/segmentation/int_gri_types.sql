{#- M5: the GRI types and the active indicators each one combines: 'global' uses
    every active indicator, each compliance risk type the indicators the catalogue
    links to it. -#}

with

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_status as (
    select * from {{ ref('int_indicator_status') }}
),

risk_types as (
    select * from {{ ref('compliance_risk_types') }}
),

active_indicators as (
    select catalogue.*
    from catalogue
    inner join indicator_status
        on catalogue.indicator_code = indicator_status.indicator_code
    where indicator_status.is_active
),

final as (
    select
        'global' as gri_type,
        indicator_code,
        expert_weight
    from active_indicators
    union all
    select
        risk_types.risk_type as gri_type,
        active_indicators.indicator_code,
        active_indicators.expert_weight
    from risk_types
    inner join active_indicators
        on {{ pipe_list_contains('active_indicators.risk_types', 'risk_types.risk_type') }}
)

select * from final

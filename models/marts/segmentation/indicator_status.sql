{#- M2: every indicator of the catalogue with whether it is active in this run and,
    if not, why (disabled in the catalogue, or a source it needs is absent). -#}

with

status as (
    select * from {{ ref('int_indicator_status') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

final as (
    select
        status.indicator_code,
        status.category,
        status.indicator_name,
        catalogue.raw_value_definition,
        catalogue.comparison,
        cast(catalogue.threshold as {{ type_double() }}) as threshold,
        catalogue.risk_types,
        catalogue.required_sources,
        status.is_active,
        status.inactive_reason
    from status
    inner join catalogue
        on status.indicator_code = catalogue.indicator_code
)

select {{ stable_select() }} from final

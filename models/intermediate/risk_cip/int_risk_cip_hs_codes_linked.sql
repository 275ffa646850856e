{#- M16 (note Annex 3): tariff lines linked to the selected risk, from three sources:
    offences of the risk detected in the window (with minimum support), the reference
    sensitive-goods list entries whose reason is the risk's offence type, and the
    administration's own list (seed risk_cip_hs_codes). -#}

with

nomenclature as (
    select * from {{ ref('stg_reference__hs_nomenclature') }}
),

selected_risk as (
    select * from {{ ref('int_risk_cip_selected_risk') }}
),

offences as (
    select * from {{ ref('int_risk_cip_offences') }}
),

sensitive_goods as (
    select * from {{ ref('stg_reference__sensitive_goods') }}
),

configured_codes as (
    select * from {{ ref('risk_cip_hs_codes') }}
),

offences_by_code as (
    select
        hs_code,
        count(distinct control_id) as offences,
        count(distinct tin) as offending_importers
    from offences
    group by hs_code
),

listed_sensitive as (
    select
        nomenclature.hs_code,
        min(sensitive_goods.hs_prefix) as sensitive_prefix
    from nomenclature
    inner join sensitive_goods
        on substr(nomenclature.hs_code, 1, length(sensitive_goods.hs_prefix)) = sensitive_goods.hs_prefix
    inner join selected_risk
        on sensitive_goods.sensitivity_reason = selected_risk.outcome_code
    group by nomenclature.hs_code
),

configured as (
    select
        nomenclature.hs_code,
        min(configured_codes.hs_prefix) as configured_prefix,
        min(configured_codes.reason) as configured_reason
    from nomenclature
    inner join configured_codes
        on substr(nomenclature.hs_code, 1, length(configured_codes.hs_prefix)) = configured_codes.hs_prefix
    where configured_codes.risk_type = '{{ var("risk_cip_risk_type") }}'
    group by nomenclature.hs_code
),

candidate_codes as (
    select hs_code from offences_by_code
    union
    select hs_code from listed_sensitive
    union
    select hs_code from configured
),

sourced as (
    select
        candidate_codes.hs_code,
        coalesce(offences_by_code.offences, 0) as offences_in_window,
        coalesce(offences_by_code.offending_importers, 0) as offending_importers,
        coalesce(
            offences_by_code.offences >= {{ var('risk_cip_min_offences') }}
            and offences_by_code.offending_importers >= {{ var('risk_cip_min_offenders') }},
            false
        ) as is_from_offences,
        listed_sensitive.hs_code is not null as is_from_reference_list,
        configured.hs_code is not null as is_from_configuration,
        listed_sensitive.sensitive_prefix,
        configured.configured_prefix,
        configured.configured_reason
    from candidate_codes
    left join offences_by_code
        on candidate_codes.hs_code = offences_by_code.hs_code
    left join listed_sensitive
        on candidate_codes.hs_code = listed_sensitive.hs_code
    left join configured
        on candidate_codes.hs_code = configured.hs_code
),

final as (
    select
        sourced.hs_code,
        selected_risk.risk_type,
        sourced.offences_in_window,
        sourced.offending_importers,
        sourced.is_from_offences,
        sourced.is_from_reference_list,
        sourced.is_from_configuration,
        concat_ws(
            '; ',
            case
                when sourced.is_from_offences
                    then cast(sourced.offences_in_window as {{ dbt.type_string() }}) || ' offences by '
                        || cast(sourced.offending_importers as {{ dbt.type_string() }}) || ' importers in the window'
            end,
            case
                when sourced.is_from_reference_list
                    then 'reference sensitive list (prefix ' || sourced.sensitive_prefix || ')'
            end,
            case
                when sourced.is_from_configuration
                    then 'configured (prefix ' || sourced.configured_prefix || '): ' || sourced.configured_reason
            end
        ) as link_reasons
    from sourced
    cross join selected_risk
    where sourced.is_from_offences or sourced.is_from_reference_list or sourced.is_from_configuration
)

select * from final

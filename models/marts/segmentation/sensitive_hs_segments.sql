{#- M8 (note Table 5): for each sensitive tariff line, its importers in the window
    by size and risk level, with TIN and global GRI, and the value each imported
    under the line. -#}

with

sensitive_codes as (
    select * from {{ ref('int_sensitive_hs_codes') }}
),

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
    where flow = 'I'
),

operators as (
    select * from {{ ref('dim_operators') }}
),

importers_by_code as (
    select
        declarations.hs_code,
        declarations.tin,
        count(*) as import_lines,
        sum(declarations.customs_value_usd) as import_value_usd
    from declarations
    inner join sensitive_codes
        on declarations.hs_code = sensitive_codes.hs_code
    group by declarations.hs_code, declarations.tin
),

final as (
    select
        importers_by_code.hs_code,
        sensitive_codes.sensitivity_reasons,
        operators.size_segment,
        operators.risk_level,
        cast(count(*) over (
            partition by importers_by_code.hs_code, operators.size_segment, operators.risk_level
        ) as integer) as importers_in_segment,
        importers_by_code.tin,
        operators.gri,
        cast(importers_by_code.import_lines as integer) as import_lines,
        cast(importers_by_code.import_value_usd as {{ type_double() }}) as import_value_usd
    from importers_by_code
    inner join sensitive_codes
        on importers_by_code.hs_code = sensitive_codes.hs_code
    inner join operators
        on importers_by_code.tin = operators.tin
)

select {{ stable_select() }} from final

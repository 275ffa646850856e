{#- M1/M2: one pass over the window's declaration lines giving, per operator, its
    size values, taxes paid and the counts behind every transaction and
    customs-record indicator. Small lookups (risky brokers, HS codes, countries,
    unit-value norms, ISIC concordance) are joined in the same pass. -#}

with

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
),

risky_brokers as (
    select declarant_id from {{ ref('int_risky_brokers') }}
    where is_risky
),

risky_hs_codes as (
    select hs_code from {{ ref('int_risky_hs_codes') }}
    where is_risky
),

risky_countries as (
    select country_code from {{ ref('int_risky_countries') }}
    where is_risky
),

unit_value_norms as (
    select * from {{ ref('int_hs_unit_value_norms') }}
    where has_norm
),

{{ indicator_lookup_ctes() }},

lines as (
    {{ indicator_lines_select() | indent(4) }}
),

line_totals as (
    select
        tin,
        min(declaration_date) as first_declaration_date,
        max(declaration_date) as last_declaration_date,
        max(case when is_aeo then 1 else 0 end) = 1 as is_aeo,
        -- size (M1), collection (Table 4 extended) and the indicator counts (M2): the rules of macros
        -- operator_line_measures and operator_line_flags (macro operator_line_counts)
        {{ operator_line_count_columns() | indent(4) }}
    from lines
    group by tin
),

operator_declarations as (
    -- apart, and from the model rather than the CTE above: a count(distinct) next to the
    -- sums, or a second reader of the CTE, makes the engine materialise every joined
    -- line; over two narrow columns it is one cheap aggregate
    select
        tin,
        count(distinct declaration_id) as declarations
    from {{ ref('int_declarations_in_window') }}
    group by tin
),

final as (
    select
        line_totals.*,
        operator_declarations.declarations
    from line_totals
    inner join operator_declarations
        on line_totals.tin = operator_declarations.tin
)

select * from final

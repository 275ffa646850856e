{#- M1: the as-of date and the window every operator-level figure is computed over.
    as_of_date defaults to the last declaration date; nothing after it is read. -#}
{%- set half_months = (var('window_months') | int) // 2 -%}

with

declarations as (
    select max(declaration_date) as last_declaration_date
    from {{ ref('stg_customs__declarations') }}
),

as_of as (
    select
        {% if var('as_of_date') -%}
            cast('{{ var("as_of_date") }}' as date)
        {%- else -%}
            last_declaration_date
        {%- endif %} as as_of_date
    from declarations
),

final as (
    select
        as_of_date,
        {{ var('window_months') }} as window_months,
        cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * (var('window_months') | int), 'as_of_date')) }} as date)
            as window_start,
        cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * half_months, 'as_of_date')) }} as date) as recent_half_start
    from as_of
)

select * from final

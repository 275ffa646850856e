{{ config(enabled=target.type != 'duckdb', materialized='table') }}
{#- Engines other than DuckDB (docs/engines.md): the explanations come from the dbt Python
    model of the same name (../declaration_risk_explanations.py), which only DuckDB runs;
    without learned scorers they are empty, as on DuckDB. -#}
-- depends_on: {{ ref('declaration_risk') }}
select
    cast(null as {{ type_text() }}) as scorer,
    cast(null as {{ type_text() }}) as declaration_id,
    cast(null as bigint) as item_no,
    cast(null as bigint) as contribution_rank,
    cast(null as {{ type_text() }}) as feature,
    cast(null as {{ type_text() }}) as feature_group,
    cast(null as {{ type_double() }}) as feature_value,
    cast(null as {{ type_double() }}) as contribution,
    cast(null as {{ type_double() }}) as score
where 1 = 0

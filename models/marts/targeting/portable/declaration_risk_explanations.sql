{{ config(enabled=target.type != 'duckdb', materialized='table') }}
{#- Engines other than DuckDB (docs/engines.md): the explanations come from LightGBM in the
    dbt Python model of the same name (../declaration_risk_explanations.py), which only
    DuckDB runs; without a boosted model they are empty, as on DuckDB. -#}
-- depends_on: {{ ref('declaration_risk') }}
select
    cast(null as varchar) as declaration_id,
    cast(null as bigint) as item_no,
    cast(null as bigint) as contribution_rank,
    cast(null as varchar) as feature,
    cast(null as varchar) as feature_group,
    cast(null as {{ type_double() }}) as feature_value,
    cast(null as {{ type_double() }}) as contribution,
    cast(null as {{ type_double() }}) as score_gbm
where 1 = 0

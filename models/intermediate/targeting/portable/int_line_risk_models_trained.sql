{{ config(enabled=target.type != 'duckdb', materialized='table') }}
{#- Engines other than DuckDB (docs/engines.md): the learned scorers are trained by the dbt
    Python model of the same name (../int_line_risk_models_trained.py), which only DuckDB
    runs. Here: no artifacts, so declaration_risk's learned scores are null and risk_score
    falls back to the rule score, as when there is too little to learn from. -#}
select
    cast(null as {{ type_text() }}) as scorer,
    cast(null as {{ type_text() }}) as part,
    cast(null as {{ type_text() }}) as name,  -- noqa: RF04
    cast(null as bigint) as position,  -- noqa: RF04
    cast(null as {{ type_double() }}) as coefficient,
    cast(null as {{ type_double() }}) as curvature,
    cast(null as {{ type_double() }}) as centre,
    cast(null as {{ type_double() }}) as scale,
    cast(null as {{ type_text() }}) as feature_group,
    cast(null as {{ type_text() }}) as text  -- noqa: RF04
where 1 = 0

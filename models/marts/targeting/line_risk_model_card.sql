{#- M4 learned at the line (M10): the model card of each learned declaration scorer,
    one row per field: method, training window and as-of date, training and validation
    lines, validation metrics on the held-out last months (AUC, precision at 5% and
    10%, base rate), parameters, features and the SHA-256 of the model. Values are text
    (JSON for lists and objects). -#}

with

artifacts as (
    select * from {{ ref('int_line_risk_models_trained') }}
    where part = 'card'
),

final as (
    select
        scorer,
        name as field,
        cast(position as integer) as position,
        text as field_value
    from artifacts
)

select {{ stable_select() }} from final

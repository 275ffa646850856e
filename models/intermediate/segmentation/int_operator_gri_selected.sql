{#- M5/M6 (note Steps 5-6): the GRI of every operator, global and per compliance risk
    type, under the selected weighting technique, with its risk level from the
    configured cut-offs. Read by the operator profile and the treatments; the mart
    operator_gri publishes it. -#}

with

gri as (
    select * from {{ ref('int_operator_gri_by_technique') }}
    where technique = '{{ var("weighting_technique") }}'
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select
        gri.tin,
        gri.gri_type,
        cast(gri.gri as {{ type_double() }}) as gri,
        {{ risk_level('gri.gri') }} as risk_level,
        gri.technique as weighting_technique,
        evaluation_window.as_of_date
    from gri
    cross join evaluation_window
)

select * from final

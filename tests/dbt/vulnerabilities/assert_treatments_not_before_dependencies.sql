-- M15 (note table A2.3): no measure may be due before a measure it depends on.
with

vulnerability_treatments as (
    select * from {{ ref('vulnerability_treatments') }}
),

final as (
    select
        measure_id,
        expected_completion,
        depends_on_measure_id,
        depends_on_expected_completion
    from vulnerability_treatments
    where not is_schedule_consistent
)

select * from final

with

source as (
    select * from {{ ref('base_customs__trader_survey') }}
    where _reject_reasons = ''
),

renamed as (
    select
        survey_date,
        question_code,
        respondents,
        mean_score
    from source
)

select * from renamed

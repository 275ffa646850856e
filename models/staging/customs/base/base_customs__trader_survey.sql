{{ checked_source('customs', 'trader_survey', extra_reasons=[
    "case when mean_score < 1 or mean_score > 5 then 'mean_score outside 1-5' end",
    "case when respondents < 0 then 'negative respondents' end",
]) }}

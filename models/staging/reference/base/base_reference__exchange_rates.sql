{{ checked_source('reference', 'exchange_rates', extra_reasons=[
    "case when usd_per_unit <= 0 then 'usd_per_unit not positive' end",
    "case when month_start <> " ~ dbt.date_trunc('month', 'month_start') ~ " then 'month_start not the first day of a month' end",
]) }}

{{ checked_source('tax', 'tax_returns', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when vat_on_imports_claimed < 0 or imports_declared < 0 or exports_declared < 0 or excise_declared < 0 then 'negative amount' end",
    "case when period_start <> " ~ dbt.date_trunc('month', 'period_start') ~ " then 'period_start not the first day of a month' end",
]) }}

-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ checked_source('tax', 'tax_audits', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when amount_assessed < 0 then 'negative amount_assessed' end",
]) }}

-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ checked_source('customs', 'treatments_applied', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
]) }}

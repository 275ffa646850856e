-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ checked_source('customs', 'advance_rulings', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when hs_code is not null and not " ~ regexp_like('hs_code', var('hs_code_pattern')) ~ " then 'hs_code not 6-10 digits' end",
]) }}

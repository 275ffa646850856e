{{ checked_source('reference', 'country_risk', extra_reasons=[
    "case when country_code is not null and not " ~ regexp_like('country_code', '^[A-Z]{2}$') ~ " then 'country_code not ISO alpha-2' end",
]) }}

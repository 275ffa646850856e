{{ checked_source('reference', 'sensitive_goods', extra_reasons=[
    "case when hs_prefix is not null and not " ~ regexp_like('hs_prefix', '^[0-9]{2,10}$') ~ " then 'hs_prefix not 2-10 digits' end",
]) }}

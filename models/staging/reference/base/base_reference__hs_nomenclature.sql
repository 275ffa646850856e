{{ checked_source('reference', 'hs_nomenclature', extra_reasons=[
    "case when hs_code is not null and not " ~ regexp_like('hs_code', var('hs_code_pattern')) ~ " then 'hs_code not 6-10 digits' end",
    "case when duty_rate < 0 or vat_rate < 0 or excise_rate < 0 then 'negative tax rate' end",
]) }}

{{ checked_source('reference', 'isic_hs_concordance', extra_reasons=[
    "case when hs_chapter is not null and not " ~ regexp_like('hs_chapter', '^[0-9]{2}$') ~ " then 'hs_chapter not 2 digits' end",
]) }}

{{ checked_source('customs', 'control_results', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when control_type = 'examination' and declaration_id is null then 'examination without declaration_id' end",
    "case when outcome = 'irregularity' and offence_type is null then 'irregularity without offence_type' end",
    "case when amount_reassessed < 0 or amount_collected < 0 then 'negative amount' end",
]) }}

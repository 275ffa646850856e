{#- M1/M2: the window and the per-operator counts behind the indicators, written once
    for the current evaluation (one as-of date: int_evaluation_window and the
    int_operator_* models) and for the quarterly history (many as-of dates:
    int_gri_evaluation_dates, int_operator_counts_dated). -#}

{#- The first day of the window ending at `as_of` (var window_months long). -#}
{% macro evaluation_window_start(as_of) -%}
    cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * cip_int_var('window_months', min_value=1), as_of)) }} as date)
{%- endmacro %}

{#- The first day of the recent half of that window (growth indicators compare halves). -#}
{% macro evaluation_recent_half_start(as_of) -%}
    cast({{ dbt.dateadd('day', 1, dbt.dateadd('month', -1 * (cip_int_var('window_months', min_value=1) // 2), as_of)) }}
        as date)
{%- endmacro %}

{#- The static look-ups of a declaration line, as CTEs for the caller's WITH list:
    nomenclature (residual tariff lines), taxpayers (ISIC class) and the ISIC-HS
    concordance. Macros indicator_lookup_columns and indicator_lookup_joins read them. -#}
{% macro indicator_lookup_ctes() -%}
nomenclature as (
    select
        hs_code,
        is_residual
    from {{ ref('stg_reference__hs_nomenclature') }}
),

taxpayers as (
    select
        tin,
        isic_code
    from {{ ref('stg_tax__taxpayers') }}
),

concordance as (
    select
        isic_code,
        hs_chapter
    from {{ ref('stg_reference__isic_hs_concordance') }}
),

isic_with_concordance as (
    select distinct isic_code from concordance
)
{%- endmacro %}

{#- The line attributes the static look-ups give (select-list entries), from the joins
    of indicator_lookup_joins. -#}
{% macro indicator_lookup_columns() -%}
    nomenclature.is_residual,
    isic_with_concordance.isic_code is not null as has_isic_concordance,
    concordance.hs_chapter is not null as is_isic_consistent
{%- endmacro %}

{#- The joins of the static look-ups (CTEs of indicator_lookup_ctes) to the lines
    relation `lines` (its tin, hs_code and hs_chapter). -#}
{% macro indicator_lookup_joins(lines) -%}
    left join nomenclature
        on {{ lines }}.hs_code = nomenclature.hs_code
    left join taxpayers
        on {{ lines }}.tin = taxpayers.tin
    left join isic_with_concordance
        on taxpayers.isic_code = isic_with_concordance.isic_code
    left join concordance
        on taxpayers.isic_code = concordance.isic_code
            and {{ lines }}.hs_chapter = concordance.hs_chapter
{%- endmacro %}

{#- The line attributes the risk lists and unit-value norms give (select-list entries),
    from the joins of indicator_list_joins over the lines relation `lines` (its
    unit_value_usd). -#}
{% macro indicator_list_columns(lines) -%}
    risky_brokers.declarant_id is not null as is_high_risk_broker,
    risky_hs_codes.hs_code is not null as is_risky_hs,
    risky_countries.country_code is not null as is_risky_origin,
    unit_value_norms.hs_code is not null as has_unit_value_norm,
    {{ lines }}.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd as is_below_unit_value_norm
{%- endmacro %}

{#- The joins of the caller's CTEs risky_brokers, risky_hs_codes, risky_countries and
    unit_value_norms to the lines relation `lines` (its declarant_id, hs_code,
    origin_country and value_unit); with `as_of`, an expression of the line's evaluation
    date, the lists are those of that date (their column as_of_date). -#}
{% macro indicator_list_joins(lines, as_of=none) -%}
    {%- set at_date = {} -%}
    {%- for relation in ['risky_brokers', 'risky_hs_codes', 'risky_countries', 'unit_value_norms'] -%}
        {%- do at_date.update({relation: ('\n            and ' ~ as_of ~ ' = ' ~ relation ~ '.as_of_date') if as_of else ''}) -%}
    {%- endfor -%}
    left join risky_brokers
        on {{ lines }}.declarant_id = risky_brokers.declarant_id{{ at_date['risky_brokers'] }}
    left join risky_hs_codes
        on {{ lines }}.hs_code = risky_hs_codes.hs_code{{ at_date['risky_hs_codes'] }}
    left join risky_countries
        on {{ lines }}.origin_country = risky_countries.country_code{{ at_date['risky_countries'] }}
    left join unit_value_norms
        on {{ lines }}.hs_code = unit_value_norms.hs_code
            and {{ lines }}.value_unit = unit_value_norms.value_unit{{ at_date['unit_value_norms'] }}
{%- endmacro %}

{#- The per-line attributes the transaction and customs-record counts need: the select
    list and joins over `declarations` (window lines with is_recent_half and the unit
    value), the caller's CTEs risky_brokers, risky_hs_codes, risky_countries and
    unit_value_norms, and the look-ups of indicator_lookup_ctes. -#}
{% macro indicator_lines_select() -%}
    select
        declarations.tin,
        declarations.declaration_id,
        declarations.flow,
        declarations.declaration_date,
        declarations.is_recent_half,
        declarations.is_exempt,
        declarations.is_aeo,
        declarations.customs_value_usd,
        declarations.customs_value_lcu,
        declarations.duty_paid_usd,
        declarations.vat_paid_usd,
        declarations.excise_paid_usd,
        declarations.duty_paid_lcu,
        declarations.vat_paid_lcu,
        declarations.excise_paid_lcu,
        {{ indicator_list_columns('declarations') | indent(4) }},
        {{ indicator_lookup_columns() | indent(4) }}
    from declarations
    {{ indicator_list_joins('declarations') }}
    {{ indicator_lookup_joins('declarations') }}
{%- endmacro %}

{#- The per-operator line counts behind the indicators, each defined once, in two kinds,
    over the attributes of a line (indicator_lines_select: flow, is_exempt, the values
    and taxes, is_residual, has_isic_concordance, is_isic_consistent and the list flags).
    int_operator_transactions sums them in one pass over the window's lines
    (operator_line_count_columns); int_operator_counts_dated, over many windows, sums
    the measures per operator and slice of days and then per date, and counts the flags
    per line and date (issue 13).

    (a) The measures, which need no risk list: name, `when` (the lines counted, all
    without) and `value` (the column summed; none counts the lines). A measure is a
    count of operator_line_count_names under its name, and over the recent / earlier
    half of the window under <name>_recent / <name>_earlier (earlier = the lines not in
    the recent half; the dated counts take it as the whole window less the recent half). -#}
{% macro operator_line_measures() -%}
    {{ return([
        {'name': 'lines'},
        {'name': 'import_lines', 'when': "flow = 'I'"},
        {'name': 'export_lines', 'when': "flow = 'E'"},
        {'name': 'import_value_usd', 'when': "flow = 'I'", 'value': 'customs_value_usd'},
        {'name': 'export_value_usd', 'when': "flow = 'E'", 'value': 'customs_value_usd'},
        {'name': 'trade_value_usd', 'value': 'customs_value_usd'},
        {'name': 'import_value_lcu', 'when': "flow = 'I'", 'value': 'customs_value_lcu'},
        {'name': 'export_value_lcu', 'when': "flow = 'E'", 'value': 'customs_value_lcu'},
        {'name': 'duty_paid_usd', 'value': 'duty_paid_usd'},
        {'name': 'vat_paid_usd', 'value': 'vat_paid_usd'},
        {'name': 'excise_paid_usd', 'value': 'excise_paid_usd'},
        {'name': 'duty_paid_lcu', 'value': 'duty_paid_lcu'},
        {'name': 'vat_paid_lcu', 'value': 'vat_paid_lcu'},
        {'name': 'excise_paid_lcu', 'value': 'excise_paid_lcu'},
        {'name': 'exempt_lines', 'when': "flow = 'I' and is_exempt"},
        {'name': 'residual_lines', 'when': 'is_residual'},
        {'name': 'import_value_isic_known_usd', 'when': "flow = 'I' and has_isic_concordance",
            'value': 'customs_value_usd'},
        {'name': 'import_value_isic_inconsistent_usd',
            'when': "flow = 'I' and has_isic_concordance and not is_isic_consistent", 'value': 'customs_value_usd'},
    ]) }}
{%- endmacro %}

{#- (b) The list flags: the lines of a counting measure (`of`) that a risk list or norm
    flags (`when`, over flow and the list attributes of indicator_list_columns, the only
    ones the dated lines carry). `complement`: the dated counts take the flag as the
    measure less the lines where `when` is false, so that the rows kept per line and date
    are few (`when` must then never be null). -#}
{% macro operator_line_flags() -%}
    {{ return([
        {'name': 'lines_high_risk_broker', 'of': 'lines', 'when': 'is_high_risk_broker'},
        {'name': 'lines_risky_hs', 'of': 'lines', 'when': 'is_risky_hs'},
        {'name': 'import_lines_risky_origin', 'of': 'import_lines', 'when': 'is_risky_origin'},
        {'name': 'import_lines_with_norm', 'of': 'import_lines', 'when': 'has_unit_value_norm', 'complement': true},
        {'name': 'import_lines_below_norm', 'of': 'import_lines', 'when': 'is_below_unit_value_norm'},
    ]) }}
{%- endmacro %}

{#- The line part of the count vocabulary (indicator_count_names), in column order: each
    name is a measure, a half of a measure or a flag of the two lists above. -#}
{% macro operator_line_count_names() -%}
    {{ return([
        'lines', 'import_lines', 'export_lines', 'import_value_usd', 'export_value_usd', 'trade_value_usd',
        'import_value_lcu', 'export_value_lcu', 'duty_paid_usd', 'vat_paid_usd', 'excise_paid_usd',
        'duty_paid_lcu', 'vat_paid_lcu', 'excise_paid_lcu',
        'lines_high_risk_broker', 'lines_risky_hs', 'import_lines_risky_origin', 'import_lines_with_norm',
        'import_lines_below_norm',
        'import_lines_earlier', 'exempt_lines_earlier', 'import_lines_recent', 'exempt_lines_recent',
        'lines_earlier', 'residual_lines_earlier', 'lines_recent', 'residual_lines_recent',
        'import_value_isic_known_usd', 'import_value_isic_inconsistent_usd',
    ]) }}
{%- endmacro %}

{#- Conditions joined with `and` (an `or` inside one is bracketed); empty parts left out. -#}
{% macro line_condition(parts) -%}
    {%- set kept = [] -%}
    {%- for part in parts if part -%}
        {%- do kept.append('(' ~ part ~ ')' if ' or ' in (part | lower) else part) -%}
    {%- endfor -%}
    {{ return(kept | join(' and ')) }}
{%- endmacro %}

{#- The negation of a condition. -#}
{% macro line_condition_not(condition) -%}
    {{ return('not ' ~ (('(' ~ condition ~ ')') if ' ' in condition else condition)) }}
{%- endmacro %}

{#- Every name of operator_line_count_names with its rule, in order: {name, kind (total,
    recent, earlier or flag), measure, flag}. Stops on a name without a rule, a flag
    outside the names, a flag of a measure that sums a value, or a measure that nothing
    counts. -#}
{% macro operator_line_count_rules() -%}
    {%- set names = operator_line_count_names() -%}
    {%- set measures = {} -%}
    {%- set rules = {} -%}
    {%- for measure in operator_line_measures() -%}
        {%- do measures.update({measure.name: measure}) -%}
        {%- for suffix, kind in [('', 'total'), ('_recent', 'recent'), ('_earlier', 'earlier')] -%}
            {%- do rules.update({measure.name ~ suffix: {'kind': kind, 'measure': measure, 'flag': none}}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set counted = names | list -%}
    {%- for flag in operator_line_flags() -%}
        {%- set measure = measures.get(flag.of) -%}
        {%- if measure is none or measure.get('value') is not none or flag.name in rules -%}
            {{ exceptions.raise_compiler_error("operator_line_flags: flag " ~ flag.name ~ " must count the lines of a"
                ~ " measure of operator_line_measures without `value` (of: " ~ flag.of ~ ") and not reuse a name.") }}
        {%- endif -%}
        {%- if flag.name not in names -%}
            {{ exceptions.raise_compiler_error("operator_line_flags: flag " ~ flag.name
                ~ " is not in operator_line_count_names.") }}
        {%- endif -%}
        {%- do rules.update({flag.name: {'kind': 'flag', 'measure': measure, 'flag': flag}}) -%}
        {%- do counted.append(flag.of) -%}
    {%- endfor -%}
    {%- for measure in measures.values() -%}
        {%- if not (counted | select('in', [measure.name, measure.name ~ '_recent', measure.name ~ '_earlier'])
            | list) -%}
            {{ exceptions.raise_compiler_error("operator_line_measures: measure " ~ measure.name
                ~ " is counted by no name of operator_line_count_names and no flag.") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set ordered = [] -%}
    {%- for name in names -%}
        {%- if name not in rules -%}
            {{ exceptions.raise_compiler_error("operator_line_count_names: " ~ name ~ " is no measure of"
                ~ " operator_line_measures (nor its _recent / _earlier half) and no flag of operator_line_flags.") }}
        {%- endif -%}
        {%- do ordered.append({'name': name, 'kind': rules[name].kind, 'measure': rules[name].measure,
            'flag': rules[name].flag}) -%}
    {%- endfor -%}
    {{ return(ordered) }}
{%- endmacro %}

{#- The one-pass aggregate of a measure over lines (those also meeting `condition`):
    count(*) or a sum of 1 / the value where the conditions hold, else 0. -#}
{% macro operator_line_sum(measure, condition=none) -%}
    {%- set when = line_condition([measure.get('when'), condition]) -%}
    {%- set value = measure.get('value') -%}
    {%- if not when -%}
        {{ return('count(*)' if value is none else 'sum(' ~ value ~ ')') }}
    {%- endif -%}
    {{ return('sum(case when ' ~ when ~ ' then ' ~ (value if value is not none else '1') ~ ' else 0 end)') }}
{%- endmacro %}

{#- (name, one-pass aggregate over indicator_lines_select rows) of every line count. -#}
{% macro operator_line_counts() -%}
    {%- set counts = [] -%}
    {%- for rule in operator_line_count_rules() -%}
        {%- if rule.kind == 'flag' -%}
            {%- set aggregate = operator_line_sum({'when': line_condition([rule.measure.get('when'), rule.flag.when])}) -%}
        {%- elif rule.kind == 'total' -%}
            {%- set aggregate = operator_line_sum(rule.measure) -%}
        {%- else -%}
            {%- set aggregate = operator_line_sum(rule.measure,
                'is_recent_half' if rule.kind == 'recent' else 'not is_recent_half') -%}
        {%- endif -%}
        {%- do counts.append((rule.name, aggregate)) -%}
    {%- endfor -%}
    {{ return(counts) }}
{%- endmacro %}

{#- Select-list entries `expression as name` of a list of (name, expression); a column
    taken as it is keeps its name without an alias. -#}
{% macro named_columns(columns) -%}
    {%- for name, expression in columns %}
        {{ expression }}{{ (' as ' ~ name) if not expression.endswith('.' ~ name) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The select list of operator_line_counts(), for a group by tin. -#}
{% macro operator_line_count_columns() -%}
    {{ named_columns(operator_line_counts()) }}
{%- endmacro %}

{#- Dated counts, step 1: (name, aggregate) of every measure per operator and slice of
    days, for a group by over lines with the measures' attributes; counts as doubles,
    exact below 2^53, so that the sums over slices stay narrow. -#}
{% macro operator_line_slice_sums() -%}
    {%- set sums = [] -%}
    {%- for measure in operator_line_measures() -%}
        {%- set when = measure.get('when') -%}
        {%- if measure.get('value') is not none -%}
            {%- set aggregate = 'sum(' ~ (('case when ' ~ when ~ ' then ' ~ measure.value ~ ' else 0 end') if when
                else measure.value) ~ ')' -%}
        {%- else -%}
            {%- set aggregate = 'cast(count(' ~ (('case when ' ~ when ~ ' then 1 end') if when else '*') ~ ') as '
                ~ type_double() ~ ')' -%}
        {%- endif -%}
        {%- do sums.append((measure.name, aggregate)) -%}
    {%- endfor -%}
    {{ return(sums) }}
{%- endmacro %}

{#- Dated counts, step 2: (name, aggregate) of the slices of a date's window added up,
    for a group by date and operator over `slices` (step 1's columns); and of the recent
    half (`is_recent`, an expression of the slice) of the measures with halves. -#}
{% macro operator_line_date_sums(slices, is_recent) -%}
    {%- set halves = operator_line_count_rules() | selectattr('kind', 'in', ['recent', 'earlier'])
        | map(attribute='measure') | map(attribute='name') | list -%}
    {%- set sums = [] -%}
    {%- for measure in operator_line_measures() -%}
        {%- do sums.append((measure.name, 'sum(' ~ slices ~ '.' ~ measure.name ~ ')')) -%}
        {%- if measure.name in halves -%}
            {%- do sums.append((measure.name ~ '_recent', 'sum(case when ' ~ is_recent ~ ' then ' ~ slices ~ '.'
                ~ measure.name ~ ' else 0 end)')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(sums) }}
{%- endmacro %}

{#- Dated counts, step 3: (name, condition) of every flag's count over the flag lines
    (one row per line and date); a complement flag counts the lines of its measure that
    it does not flag, under <name>_complement. -#}
{% macro operator_line_flag_conditions() -%}
    {%- set conditions = [] -%}
    {%- for flag in operator_line_flags() -%}
        {%- set of = operator_line_measures() | selectattr('name', 'equalto', flag.of) | first -%}
        {%- if flag.get('complement') -%}
            {%- do conditions.append((flag.name ~ '_complement',
                line_condition([of.get('when'), line_condition_not(flag.when)]))) -%}
        {%- else -%}
            {%- do conditions.append((flag.name, line_condition([of.get('when'), flag.when]))) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(conditions) }}
{%- endmacro %}

{#- Dated counts, step 3: (name, count) of the flag conditions, for a group by date and
    operator. -#}
{% macro operator_line_flag_counts() -%}
    {%- set counts = [] -%}
    {%- for name, condition in operator_line_flag_conditions() -%}
        {%- do counts.append((name, 'count(case when ' ~ condition ~ ' then 1 end)')) -%}
    {%- endfor -%}
    {{ return(counts) }}
{%- endmacro %}

{#- Dated counts, step 3: the condition that keeps only the rows some flag count counts. -#}
{% macro operator_line_flag_filter() -%}
    {%- set conditions = [] -%}
    {%- for name, condition in operator_line_flag_conditions() -%}
        {%- do conditions.append(('(' ~ condition ~ ')') if ' ' in condition else condition) -%}
    {%- endfor -%}
    {{ conditions | join(' or ') }}
{%- endmacro %}

{#- Dated counts, step 4: (name, expression) of every name of operator_line_count_names,
    from the per-date sums `totals` (step 2) and the left-joined flag counts `flags`
    (step 3): the earlier half is the window less the recent half. -#}
{% macro operator_line_dated_counts(totals, flags) -%}
    {%- set counts = [] -%}
    {%- for rule in operator_line_count_rules() -%}
        {%- set measure = totals ~ '.' ~ rule.measure.name -%}
        {%- if rule.kind == 'flag' and rule.flag.get('complement') -%}
            {%- set expression = measure ~ ' - coalesce(' ~ flags ~ '.' ~ rule.name ~ '_complement, 0)' -%}
        {%- elif rule.kind == 'flag' -%}
            {%- set expression = 'coalesce(' ~ flags ~ '.' ~ rule.name ~ ', 0)' -%}
        {%- elif rule.kind == 'earlier' -%}
            {%- set expression = measure ~ ' - ' ~ measure ~ '_recent' -%}
        {%- else -%}
            {%- set expression = totals ~ '.' ~ rule.name -%}
        {%- endif -%}
        {%- do counts.append((rule.name, expression)) -%}
    {%- endfor -%}
    {{ return(counts) }}
{%- endmacro %}

{#- Examined lines of the window (one row each) per operator: serious-violation counts. -#}
{% macro operator_examined_count_columns() %}
        count(*) as examined_lines,
        sum(case when is_irregular then 1 else 0 end) as irregular_examined_lines,
        sum(case when is_serious then 1 else 0 end) as serious_examined_lines
{%- endmacro %}

{#- Controls of the window per operator: the distinct quarters with an irregularity
    (the recurrence count of macro offence_quarters). -#}
{% macro operator_irregular_quarters() -%}
    {{ offence_quarters('control_date', 'is_irregular') }}
{%- endmacro %}

{#- The tax returns and audits of the window ending at `window`.as_of_date. -#}
{% macro tax_return_in_window(window) -%}
    period_start between cast({{ dbt.date_trunc('month', window ~ '.window_start') }} as date) and {{ window }}.as_of_date
{%- endmacro %}

{% macro tax_audit_in_window(window) -%}
    audit_date between {{ window }}.window_start and {{ window }}.as_of_date
{%- endmacro %}

{% macro operator_return_count_columns() %}
        count(*) as returns_due,
        sum(case when is_filed then 1 else 0 end) as returns_filed,
        sum(case when is_filed then vat_on_imports_claimed_lcu else 0 end) as vat_on_imports_claimed_lcu,
        sum(case when is_filed then imports_declared_lcu else 0 end) as imports_declared_lcu,
        sum(case when is_filed then exports_declared_lcu else 0 end) as exports_declared_lcu,
        sum(case when is_filed then excise_declared_lcu else 0 end) as excise_declared_lcu
{%- endmacro %}

{% macro operator_audit_count_columns() %}
        count(*) as tax_audits,
        sum(case when has_irregularity then 1 else 0 end) as tax_audits_irregular,
        sum(case when has_transfer_pricing_adjustment then 1 else 0 end) as tax_audits_transfer_pricing,
        count(distinct case when has_irregularity then {{ dbt.date_trunc('year', 'audit_date') }} end)
            as years_with_tax_irregularity
{%- endmacro %}

{#- A registered operator's tax figures from its returns and audits of the window
    (left-joined): counts 0 without records, amounts null. -#}
{% macro operator_tax_record_columns(returns, audits) %}
        coalesce({{ returns }}.returns_due, 0) as returns_due,
        coalesce({{ returns }}.returns_filed, 0) as returns_filed,
        {{ returns }}.vat_on_imports_claimed_lcu,
        {{ returns }}.imports_declared_lcu,
        {{ returns }}.exports_declared_lcu,
        {{ returns }}.excise_declared_lcu,
        coalesce({{ audits }}.tax_audits, 0) as tax_audits,
        coalesce({{ audits }}.tax_audits_irregular, 0) as tax_audits_irregular,
        coalesce({{ audits }}.tax_audits_transfer_pricing, 0) as tax_audits_transfer_pricing,
        coalesce({{ audits }}.years_with_tax_irregularity, 0) as years_with_tax_irregularity
{%- endmacro %}

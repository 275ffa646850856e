{#- Every tuning var of dbt_project.yml checked before any model runs (on-run-start), so a
    value of the wrong kind, outside its range or not in its list stops the run with the
    var, its value and what it must be, instead of an empty or silently different mart (an
    unknown weighting_technique selected no GRI at all). One rule per var; a var missing
    here is caught by tests/python/test_faults.py (every var of dbt_project.yml has a rule).
    Kinds: int / number (bounds inclusive unless low_open), share (a number in [0, 1]),
    enum, bool, date (YYYY-MM-DD or null), list (of allowed values when given), code, text. -#}
{% macro config_var_rules() -%}
    {%- set share = {'kind': 'share'} -%}
    {%- set count = {'kind': 'int', 'min': 0} -%}
    {%- set at_least_one = {'kind': 'int', 'min': 1} -%}
    {%- set non_negative = {'kind': 'number', 'min': 0} -%}
    {{ return({
        'data_dir': {'kind': 'text'},
        'national_currency': {'kind': 'code'},
        'csv_encoding': {'kind': 'enum', 'values': ['utf-8', 'utf8', 'latin-1', 'latin1', 'iso-8859-1', 'utf-16', 'utf16']},
        'null_markers': {'kind': 'list'},
        'tin_pattern': {'kind': 'text'},
        'hs_code_pattern': {'kind': 'text'},
        'load_date': {'kind': 'date'},
        'earliest_date': {'kind': 'date', 'required': true},
        'max_abs_number': {'kind': 'number', 'min': 0, 'low_open': true},
        'as_of_date': {'kind': 'date'},
        'as_of_min_volume_share': {'kind': 'number', 'min': 0, 'max': 1, 'low_open': true},
        'window_months': at_least_one,
        'size_large_min_usd': non_negative,
        'size_medium_min_usd': non_negative,
        'risky_reference_mode': {'kind': 'enum', 'values': ['derived', 'reference', 'both']},
        'risky_min_examined_lines': count,
        'risky_min_lift': {'kind': 'number', 'min': 0, 'low_open': true},
        'unit_value_lower_bound_ratio': {'kind': 'number', 'min': 0, 'max': 1, 'low_open': true},
        'unit_value_min_lines': at_least_one,
        'weighting_technique': {'kind': 'enum', 'values': ['equal', 'expert', 'frequency', 'learned']},
        'weight_tolerance': {'kind': 'number', 'min': 0, 'max': 1},
        'learned_min_flagged': count,
        'sensitive_hs_mode': {'kind': 'enum', 'values': ['derived', 'reference', 'both']},
        'sensitive_min_exempt_share': share,
        'sensitive_adjustment_offences': {'kind': 'list', 'values': ['misclassification', 'valuation', 'origin',
            'undeclared_goods', 'special_regime_abuse', 'smuggling', 'counterfeit']},
        'risk_cutoff_medium': share,
        'risk_cutoff_high': share,
        'gri_bin_width': {'kind': 'number', 'min': 0, 'max': 1, 'low_open': true},
        'top_indicators_per_operator': at_least_one,
        'repeat_offender_min_quarters': at_least_one,
        'pca_exclusion_months': count,
        'pca_capacity_comprehensive': count,
        'pca_capacity_narrowed': count,
        'pca_capacity_desk': count,
        'pca_fill_with_low_risk': {'kind': 'bool'},
        'pca_reassessment_blend': non_negative,
        'selectivity_share_high': share,
        'selectivity_share_medium': share,
        'selectivity_share_low': share,
        'selectivity_aeo_factor': non_negative,
        'declaration_weight_operator_gri': non_negative,
        'declaration_weight_risky_hs': non_negative,
        'declaration_weight_risky_origin': non_negative,
        'declaration_weight_risky_broker': non_negative,
        'declaration_weight_below_norm': non_negative,
        'declaration_weight_first_time': non_negative,
        'channel_red_share': share,
        'channel_yellow_share': share,
        'aeo_max_risk_level': {'kind': 'enum', 'values': ['low', 'medium', 'high']},
        'aeo_min_history_months': count,
        'aeo_min_declarations': count,
        'link_iterations': at_least_one,
        'link_min_shared_lines': at_least_one,
        'link_hub_max_degree': at_least_one,
        'reformed_clean_periods': at_least_one,
        'declaration_scorer': {'kind': 'enum', 'values': ['gbm', 'sql', 'rule']},
        'line_risk_entities': {'kind': 'list', 'values': ['hs_code', 'hs6', 'hs4', 'hs_chapter', 'origin', 'departure',
            'origin_departure', 'importer', 'declarant', 'supplier', 'office', 'regime', 'transport_mode',
            'duty_rate_band', 'tax_type', 'hs6_origin', 'hs6_departure', 'hs_code_origin']},
        'line_risk_smoothing_m': non_negative,
        'line_risk_prior_rate': {'kind': 'number', 'min': 0, 'max': 1, 'low_open': true},
        'line_risk_validation_months': at_least_one,
        'line_risk_min_training_lines': count,
        'line_risk_max_training_lines': at_least_one,
        'line_risk_gbm_max_trees': at_least_one,
        'line_risk_gbm_leaves': {'kind': 'int', 'min': 2},
        'line_risk_gbm_learning_rate': {'kind': 'number', 'min': 0, 'low_open': true},
        'line_risk_gbm_min_child_lines': at_least_one,
        'line_risk_l2_inverse': {'kind': 'number', 'min': 0, 'low_open': true},
        'line_risk_seed': count,
        'line_risk_explain_months': at_least_one,
        'line_risk_explain_top_features': at_least_one,
        'line_risk_threads': at_least_one,
        'line_risk_explain_threads': at_least_one,
        'line_features_batch_lines': at_least_one,
        'line_risk_training_cutoff': {'kind': 'enum', 'values': ['quarter_end', 'as_of']},
        'line_risk_retrain': {'kind': 'enum', 'values': ['on_cutoff', 'on_change']},
        'line_risk_rescore': {'kind': 'enum', 'values': ['new', 'changed']},
        'kpi_consumption_regimes': {'kind': 'list'},
        'treatment_effect_window_months': at_least_one,
        'treatment_effect_min_prior_irregularities': count,
        'treatment_effect_z': {'kind': 'number', 'min': 0, 'low_open': true},
        'risk_cip_risk_type': {'kind': 'text'},
        'risk_cip_min_offences': at_least_one,
        'risk_cip_min_offenders': at_least_one,
        'risk_cip_bound_method': {'kind': 'enum', 'values': ['median_ratio', 'iqr']},
        'risk_cip_median_ratio': {'kind': 'number', 'min': 0, 'max': 1, 'low_open': true, 'nullable': true},
        'risk_cip_iqr_k': non_negative,
        'risk_cip_iqr_floor_share': share,
        'risk_cip_flag_min_lines_below': at_least_one,
        'risk_cip_flag_min_share_below': share,
        'risk_cip_flag_min_lines': at_least_one,
    }) }}
{%- endmacro %}

{#- The on-run-start check: every rule above, then the rules between vars. Returns a
    harmless statement (a hook runs SQL). -#}
{% macro validate_config_vars() -%}
    {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
    {%- set problems = [] -%}
    {%- for name, rule in config_var_rules().items() -%}
        {%- set problem = _var_problem(var(name, none), rule) -%}
        {%- if problem -%}
            {%- do problems.append("var " ~ name ~ " = " ~ (var(name, none) | string)[:80] ~ " is not " ~ problem) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not problems -%}
        {%- set pairs = [
            ('size_medium_min_usd', 'size_large_min_usd', 'below'),
            ('risk_cutoff_medium', 'risk_cutoff_high', 'below')] -%}
        {%- for low, high, relation in pairs -%}
            {%- if var(low) | float >= var(high) | float -%}
                {%- do problems.append("var " ~ low ~ " = " ~ var(low) ~ " must be " ~ relation ~ " var " ~ high ~ " = " ~ var(high)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if var('channel_red_share') | float + var('channel_yellow_share') | float > 1 -%}
            {%- do problems.append("vars channel_red_share + channel_yellow_share = "
                ~ (var('channel_red_share') | float + var('channel_yellow_share') | float) ~ " exceed 1 (shares of one month's lines)") -%}
        {%- endif -%}
        {%- set weights = namespace(total=0) -%}
        {%- for name in config_var_rules().keys() if name.startswith('declaration_weight_') -%}
            {%- set weights.total = weights.total + var(name) | float -%}
        {%- endfor -%}
        {%- if weights.total <= 0 -%}
            {%- do problems.append("vars declaration_weight_* are all 0: the declaration score would be 0 for every line") -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Invalid configuration: " ~ problems | join('; ')
            ~ ". Fix it in dbt_project.yml (vars) or in the --vars of the run (cip build --vars takes the same YAML);"
            ~ " docs/configuration.md lists every var and its range.") }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}

{#- What a value should have been ('' when it is fine). -#}
{% macro _var_problem(value, rule) -%}
    {%- set kind = rule['kind'] -%}
    {%- set is_null = value is none or (value is string and value | trim in ('', 'None', 'null', 'none')) -%}
    {%- if is_null -%}
        {{ return('' if kind in ('date', 'text') and not rule.get('required') or rule.get('nullable') else "set (it is null)") }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if kind == 'date' -%}
        {%- set parts = text.split('-') -%}
        {%- if parts | length != 3 or not (parts | join('')).isdigit() or parts[0] | length != 4
            or parts[1] | int < 1 or parts[1] | int > 12 or parts[2] | int < 1 or parts[2] | int > 31 -%}
            {{ return("a date YYYY-MM-DD") }}
        {%- endif -%}
    {%- elif kind == 'bool' -%}
        {%- if value is not sameas true and value is not sameas false -%}{{ return("true or false") }}{%- endif -%}
    {%- elif kind == 'enum' -%}
        {%- if text not in rule['values'] -%}{{ return("one of " ~ rule['values'] | join(', ')) }}{%- endif -%}
    {%- elif kind == 'list' -%}
        {%- if value is string or value is mapping or value is not iterable -%}
            {{ return("a list, e.g. ['" ~ (rule.get('values') or ['40'])[0] ~ "']") }}
        {%- endif -%}
        {%- for item in value if rule.get('values') and item | string not in rule['values'] -%}
            {{ return("a list of " ~ rule['values'] | join(', ') ~ " (" ~ item ~ " is unknown)") }}
        {%- endfor -%}
    {%- elif kind == 'code' -%}
        {%- if text | length > 20 or not text.replace('_', '').replace('-', '').isalnum() -%}{{ return("a code") }}{%- endif -%}
    {%- elif kind in ('int', 'number', 'share') -%}
        {%- set digits = text.lower().replace('e', '', 1).replace('.', '', 1).replace('+', '').replace('-', '') -%}
        {%- if value is sameas true or value is sameas false or not digits.isdigit()
            or (kind == 'int' and not text.lstrip('-').isdigit()) -%}
            {{ return("an integer" if kind == 'int' else "a number") }}
        {%- endif -%}
        {%- set low = 0 if kind == 'share' else rule.get('min') -%}
        {%- set high = 1 if kind == 'share' else rule.get('max') -%}
        {%- set number = text | float -%}
        {%- if (low is not none and (number < low or (rule.get('low_open') and number == low)))
            or (high is not none and number > high) -%}
            {{ return(("an integer" if kind == 'int' else "a number") ~ " in " ~ ("(" if rule.get('low_open') else "[")
                ~ (low if low is not none else '-inf') ~ ", " ~ (high if high is not none else 'inf') ~ "]") }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

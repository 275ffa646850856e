"""Lint-time stand-in for dbt's `adapter`: dispatch returns the DuckDB rendering of
the project's dispatched macros, so sqlfluff sees the SQL dbt would run."""

import jinja2


_FROM_PROJECT = {"link_label_rounds", "quantiles_by_sort"}


def _duckdb(name):
    renderings = {
        "regexp_like": lambda expr, pattern: f"regexp_full_match({expr}, '{pattern}')",
        "safe_divide": lambda num, den: f"cast({num} as double) / nullif({den}, 0)",
        "text_literal": lambda value: "'" + value.replace("'", "''") + "'",
        "median": lambda expr: f"median({expr})",
        "quantile": lambda expr, q: f"quantile_cont({expr}, {q})",
        "try_cast": lambda expr, data_type: f"try_cast({expr} as {data_type})",
        "read_raw_source": lambda *args: "select 1 as _parsing",
        "raw_row_count": lambda *args: "select 0 as raw_rows",
        "source_is_available": lambda *args: True,
        "type_double": lambda: "double",
        "type_text": lambda: "varchar",
        "ordered_sum": lambda expr, key: f"sum({expr} order by {key})",
        "hash_key": lambda columns: f"hash({', '.join(columns)})",
        "distinct_bit_count": lambda expr: (f"bit_count(bit_or(case when {expr} between 0 and 63 then cast(1 as ubigint) << {expr} end))"),
        "raise_error_sql": lambda message: "error('" + message.replace("'", "''") + "')",
        "round_double": lambda expr, digits: f"round({expr}, {digits})",
        "is_finite": lambda expr: f"isfinite({expr})",
        "stable_float": lambda expr, digits, max_decimals: f"round({expr}, {max_decimals})",
        "day_series": lambda start, end: (f"select cast(range as date) as date_day\n"
                                          f"    from range(date '{start}', date '{end}', interval 1 day)"),
        "analyze_relation": lambda: "",
        "cip_engine_setup": lambda: "select 1",
        # the ASOF join of the DuckDB rendering is beyond the linter's dialect: columns only
        "entity_counts_before": lambda requests, outcomes, keys=None: (
            "select\n" + "".join(f"        {key},\n" for key in keys or ["entity", "entity_key"])
            + "        event_date as as_of_day,\n"
            "        0 as examined_before,\n        0 as irregular_before\n"
            f"    from {requests}\n    where exists (select 1 from {outcomes})"),
    }
    if name not in renderings:
        raise KeyError(f"tests/sqlfluff_libs/adapter.py has no lint rendering for macro {name!r}")
    return renderings[name]


@jinja2.pass_context
def dispatch(context, name, macro_namespace=None):
    # a macro that renders whole CTEs: lint its real DuckDB rendering (the project's macro)
    for prefix in ("duckdb__", "default__") if name in _FROM_PROJECT else ():
        if context.get(prefix + name) is not None:
            return context.get(prefix + name)
    return _duckdb(name)


def get_columns_in_relation(relation):
    return []

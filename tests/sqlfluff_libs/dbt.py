"""Lint-time stand-in for dbt's cross-database macros (DuckDB renderings)."""


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def type_float():
    return "double"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_string():
    return "varchar"


def type_timestamp():
    return "timestamp"


def safe_cast(field, data_type):
    return f"try_cast({field} as {data_type})"


def position(substring_text, string_text):
    return f"position({substring_text} in {string_text})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def current_timestamp():
    return "now()"


def concat(fields):
    return "concat(" + ", ".join(fields) + ")"

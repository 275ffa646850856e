"""Lint-time stand-in for dbt's `exceptions` context object."""


def raise_compiler_error(message):
    raise RuntimeError(message)


def warn(message):
    return ""

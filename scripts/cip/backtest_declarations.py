"""Kept for old commands: the declaration-level backtest is `cip backtest --level
declarations` (cip.backtest.declarations), which builds its own warehouse as of the date.
`python -m cip.backtest_declarations ARGS` runs `cip backtest --level declarations ARGS`."""

from __future__ import annotations

import sys

from cip.backtest.declarations import line_outcomes, read_lines, score_declarations

__all__ = ["line_outcomes", "read_lines", "score_declarations", "main"]


def main(argv: list[str] | None = None) -> int:
    from cip.backtest import main as backtest_main

    return backtest_main(["--level", "declarations", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())

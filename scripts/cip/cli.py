"""The `cip` command: a small CLI over the dbt project.

Each subcommand lives in its own module exposing HELP, add_arguments(parser) and
run(args) -> exit code; this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module; order is the order shown in --help
SUBCOMMANDS = {
    "generate": "cip.generate",
    "build": "cip.build",
    "demo": "cip.demo",
    "check": "cip.check",
    "backtest": "cip.backtest",
    "report": "cip.report",
    "publish": "cip.publish",
    "explain": "cip.explain",
    "docs-check": "cip.docs_check",
    "lint-project": "cip.lint_project",
    "query-plans": "cip.query_plans",
    "bench": "cip.bench",
    "contract": "cip.contract",
    "load": "cip.load",
    "compare-warehouses": "cip.compare",
    "run-profile": "cip.run_profile",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cip",
        description="customs-cip: build a risk-based compliance improvement plan warehouse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        attr = name.replace("-", "_")
        adder = getattr(module, f"add_{attr}_arguments", None) or module.add_arguments
        runner = getattr(module, f"run_{attr}", None) or module.run
        help_text = getattr(module, f"HELP_{attr.upper()}", None) or getattr(module, "HELP", None) \
            or (module.__doc__ or "").strip().splitlines()[0]
        command = sub.add_parser(name, help=help_text, description=help_text)
        adder(command)
        command.set_defaults(handler=runner)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

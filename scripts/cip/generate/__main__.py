"""`python -m cip.generate` (the bench runs the generator this way, in its own process)."""

import argparse

from . import add_arguments, run

if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="cip generate")
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))

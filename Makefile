# customs-cip: the two commands of the README are `make demo` and `make test`.
# Both work on a fresh clone with only python3 and make: they create .venv and install.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_DATA := data/test
TEST_DB := warehouse/test.duckdb
TEST_DECLARATIONS ?= 40000

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install chromium java demo test lint test-data test-build test-check test-python test-bench docs clean postgres postgres-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Generate the demo data, build the warehouse, print a summary and write the report.
demo: install
	$(BIN)/cip demo

## Lint, build a small generated data set with every dbt test, check it independently, run pytest
## (tests/python/test_engines.py builds a small set on DuckDB, on the Postgres started here and on a
## local Spark, which dbt-spark starts in its own process: nothing to start for it, Java 17 is needed;
## CIP_TEST_SPARK=0 leaves the Spark part, 8-12 minutes here, out of a developer's run).
test: install lint postgres test-build test-check test-python test-bench

# sqlfluff on the SQL and ruff (pyflakes rules) on the Python; then, on the manifest of
# `dbt parse` (no warehouse needed): dbt-score (project score >= 9.0, [tool.dbt-score] in
# pyproject.toml), dbt-bouncer (structure rules, dbt-bouncer.yml) and cip lint-project (macro
# arguments, shared column docs, exposures).
lint: install
	$(BIN)/sqlfluff lint --processes 2 models analyses tests/dbt
	$(BIN)/ruff check --no-cache scripts tests/python models
	$(BIN)/dbt parse --quiet --target-path target-lint
	$(BIN)/dbt-score lint --manifest target-lint/manifest.json --show failing-items
	$(BIN)/dbt-bouncer run --config-file dbt-bouncer.yml
	$(BIN)/cip lint-project --manifest target-lint/manifest.json

test-data: install
	$(BIN)/cip generate --declarations $(TEST_DECLARATIONS) --seed 7 --corrupt-rate 0.002 --out $(TEST_DATA) --quiet

# with the unit tests, which a production `cip build` leaves out (they test the SQL, not the data)
test-build: test-data
	rm -f $(TEST_DB)
	CIP_DATA_DIR=$(TEST_DATA) CIP_DB_PATH=$(TEST_DB) $(BIN)/cip build --with-unit-tests

test-check: install
	$(BIN)/cip check --data $(TEST_DATA) --db $(TEST_DB)

# headless Chromium for the report's browser test (Debian's package, installed when missing)
chromium:
	bash scripts/install_chromium.sh

# Java 17 for the spark target (Debian's package, installed when missing)
java:
	bash scripts/install_java.sh

# Java only when the Spark comparison runs (CIP_TEST_SPARK=0 opts out)
test-python: install chromium $(if $(filter 0,$(CIP_TEST_SPARK)),,java)
	CIP_REQUIRE_BROWSER=1 CIP_REQUIRE_SPARK=1 CIP_TEST_DATA=$(TEST_DATA) CIP_TEST_DB=$(TEST_DB) $(BIN)/python -m pytest

docs: install
	CIP_DATA_DIR=$(TEST_DATA) CIP_DB_PATH=$(TEST_DB) $(BIN)/dbt docs generate

# the benchmark at a small size, so it cannot rot (the real runs: cip bench, docs/benchmarks.md)
test-bench: install
	$(BIN)/cip bench --declarations 100000 --no-docs --quiet

# a local PostgreSQL under .pg/ for the postgres target (docs/engines.md); CI starts from a bare machine
postgres:
	bash scripts/postgres.sh start

postgres-stop:
	bash scripts/postgres.sh stop

clean:
	rm -rf target target-* logs warehouse data reports publish .spark

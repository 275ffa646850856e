"""cip.memory: DuckDB's memory limit lent to a Python frame and given back (issue 13)."""

from __future__ import annotations

import duckdb
import pytest

from cip import memory


def test_parse_size_reads_duckdb_units():
    assert memory.parse_size("6GB") == 6 * 1000**3
    assert memory.parse_size("5.5 GiB") == int(5.5 * 1024**3)
    assert memory.parse_size("123B") == 123
    assert memory.parse_size("512.0 MiB") == 512 * 1024**2
    with pytest.raises(ValueError):
        memory.parse_size("six gigabytes")


def test_memory_lent_lowers_the_limit_and_restores_the_configured_one():
    connection = duckdb.connect()
    connection.execute("set memory_limit = '6GB'")
    messages = []
    with memory.memory_lent(connection, 2 * 1024**3, configured="6GB", log=messages.append) as inside:
        assert inside == 6 * 1000**3 - 2 * 1024**3
        # DuckDB prints its limit rounded down to 0.1 GiB
        assert 0 <= inside - memory.memory_limit(connection) < 0.1 * 1024**3
    # restored to the profile's value: 6GB, which DuckDB prints as 5.5 GiB
    assert connection.execute("select current_setting('memory_limit')").fetchone()[0] == "5.5 GiB"
    assert "while Python holds 2.00 GiB" in messages[0]


def test_memory_lent_restores_after_an_error_and_keeps_a_floor():
    connection = duckdb.connect()
    connection.execute("set memory_limit = '2GB'")
    with pytest.raises(RuntimeError):
        with memory.memory_lent(connection, 10 * 1024**3, configured="2GB", log=lambda _: None) as inside:
            assert inside == 1024**3  # never below the floor
            raise RuntimeError("training failed")
    assert connection.execute("select current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"

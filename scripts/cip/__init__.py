"""customs-cip: orchestration around the dbt project (generate, build, check, report)."""

__version__ = "0.1.0"

"""Make Great Expectations 1.x compute metrics on DuckDB.

GX's SQL engine returns a lazy SQLAlchemy result after its ``with engine.connect()``
block has closed the connection; duckdb_engine then yields no rows and every
expectation fails with ``IndexError: list index out of range``. Buffering the rows while
the connection is open fixes it. Scope: the duckdb dialect only, nothing else changes;
all metrics are still computed in SQL inside DuckDB (no tables pulled into pandas).
``tests/test_expectations.py`` shows the failure without this shim.
"""

from __future__ import annotations

from typing import Any

from great_expectations.execution_engine import sqlalchemy_execution_engine as _engine

_ORIGINAL = _engine.SqlAlchemyExecutionEngine._execute_query_with_recovery
_PATCHED_FLAG = "_leadhouse_duckdb_buffered"


class BufferStats:
    """How many rows GX read back from DuckDB: metrics are aggregates, so this stays tiny
    however large the table (the proof that nothing is pulled into Python)."""

    queries = 0
    max_rows = 0

    @classmethod
    def reset(cls) -> None:
        cls.queries = 0
        cls.max_rows = 0


def _execute_buffered(connection: Any, query: Any) -> Any:
    result = _ORIGINAL(connection, query)
    if connection.dialect.name == "duckdb" and result.returns_rows:
        # freeze() reads every row now; calling the frozen result replays them later.
        frozen = result.freeze()
        BufferStats.queries += 1
        BufferStats.max_rows = max(BufferStats.max_rows, len(frozen.data))
        return frozen()
    return result


def install() -> None:
    """Apply the shim (idempotent)."""
    engine = _engine.SqlAlchemyExecutionEngine
    if not getattr(engine, _PATCHED_FLAG, False):
        engine._execute_query_with_recovery = staticmethod(_execute_buffered)  # type: ignore[method-assign]
        setattr(engine, _PATCHED_FLAG, True)


def uninstall() -> None:
    """Restore GX's own behaviour (used by the test that proves the shim is needed)."""
    engine = _engine.SqlAlchemyExecutionEngine
    engine._execute_query_with_recovery = staticmethod(_ORIGINAL)  # type: ignore[method-assign]
    setattr(engine, _PATCHED_FLAG, False)

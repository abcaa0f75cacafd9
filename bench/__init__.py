"""`leadhouse bench`: Leadhouse measured side by side with DuckDB's own limits.

Every timed step runs in its own process (``bench.measure``) so that wall time and peak
RSS (including dbt, which runs as a grandchild) are those of the step alone.
"""

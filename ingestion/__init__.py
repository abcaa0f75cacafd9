"""Leadhouse's dlt sources (one package per system) and the pipeline that runs them."""

import os

# No usage reports to dlt's makers: the warehouse holds personal data, runs where only
# its own sources are reachable, and each report is a DNS lookup and an HTTP attempt in
# the background of every run (dbt's are off too: leadhouse.build). dlt reads this from
# the environment when it first sets up its runtime, which importing a source module can
# already do, hence here, before any of them; dlt.config came too late. An operator's
# own RUNTIME__DLTHUB_TELEMETRY is left alone.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

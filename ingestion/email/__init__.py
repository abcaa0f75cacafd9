"""SendGrid Event Webhook events from a landing folder, appended and then deduplicated on
``sg_event_id`` (``common.drop_duplicates``: the first loaded copy stays).

Webhook retries deliver the same event again; the key makes them harmless.
``is_machine_open`` keeps SendGrid's ``sg_machine_open`` so scoring can ignore opens by
privacy proxies and scanners.
"""

from __future__ import annotations

from pathlib import Path

import dlt

from ingestion.common import LoadCounters, landing_resource
from ingestion.email.helpers import RESOURCE, parse_file
from ingestion.email.settings import FILE_PATTERNS, SOURCE_NAME


@dlt.source(name=SOURCE_NAME)
def sendgrid_files(folder: str | Path, counters: LoadCounters | None = None) -> object:
    return landing_resource(
        source=SOURCE_NAME,
        table=RESOURCE,
        folder=folder,
        patterns=FILE_PATTERNS,
        parse=parse_file,
        primary_key="sg_event_id",
        counters=counters or LoadCounters(SOURCE_NAME),
        arrow=True,
        append_only=True,
    )

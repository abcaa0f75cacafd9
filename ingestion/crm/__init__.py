"""HubSpot CRM v3: from the REST API (``hubspot_api``) or from export files
(``hubspot_files``), into the same tables of ``raw_crm``.

Objects keep HubSpot's shape; dlt unnests ``properties`` into ``properties__<name>``
columns and ``associations`` into child tables. Each object merges on its id, so a
re-exported file or a re-read page updates records instead of duplicating them.
Archived (deleted) records arrive with ``archived = true``; merged-away contacts are
listed by their survivor in ``hs_merged_object_ids``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from ingestion.common import (
    LandingFile,
    LoadCounters,
    ResourceCounts,
    landing_resource,
    parse_json_objects,
    quarantine_item,
    quarantine_rows,
    split_valid,
    table_hints,
    timed,
)
from ingestion.crm import api
from ingestion.crm.helpers import column_hints, parse_csv_objects, requires, strip_bodies
from ingestion.crm.settings import API_BASE_URL, API_OBJECTS, OBJECTS, PROPERTIES, SOURCE_NAME


@dlt.source(name=SOURCE_NAME)
def hubspot_files(folder: str | Path, counters: LoadCounters | None = None) -> Any:
    """Export files: ``<object>.jsonl`` / ``.json`` (API shape) or ``<object>.csv``
    (HubSpot export with internal property names as headers)."""
    counters = counters or LoadCounters(SOURCE_NAME)
    resources = []
    for name, key in OBJECTS.items():
        json_parse = parse_json_objects(name, requires(key), clean=strip_bodies)
        csv_parse = parse_csv_objects(name, requires(key))

        def parse(path: LandingFile, rejects: list[Any], _json=json_parse, _csv=csv_parse) -> Any:
            return (_csv if path.suffix == ".csv" else _json)(path, rejects)

        resources.append(
            landing_resource(
                source=SOURCE_NAME,
                table=name,
                folder=folder,
                patterns=tuple(
                    f"{name}{tail}.{ext}" for tail in ("", "-*") for ext in ("json", "jsonl", "csv")
                ),
                parse=parse,
                primary_key=key,
                counters=counters,
                arrow=False,
                extra_columns=column_hints(PROPERTIES.get(name, ())),
            )
        )
    return resources


@dlt.source(name=SOURCE_NAME)
def hubspot_api(
    access_token: str = dlt.secrets.value,
    base_url: str = API_BASE_URL,
    include_communication_preferences: bool = True,
    request_max_attempts: int = 5,
    request_backoff_factor: float = 1.0,
    request_max_retry_delay: float = 60.0,
    counters: LoadCounters | None = None,
) -> Any:
    """The HubSpot CRM v3 REST API with a private-app access token.

    Configure the token as ``sources.crm.access_token`` in ``.dlt/secrets.toml`` or as
    the ``SOURCES__CRM__ACCESS_TOKEN`` environment variable.
    """
    counters = counters or LoadCounters(SOURCE_NAME)
    client = api.make_client(
        base_url,
        access_token,
        request_max_attempts,
        request_backoff_factor,
        request_max_retry_delay,
    )
    resources: list[Any] = []
    for object_type in API_OBJECTS:
        changed = _changed_objects(client, object_type, counters)
        resources.append(changed)
        resources.append(_archived_objects(client, object_type, counters))
        if object_type == "contacts" and include_communication_preferences:
            resources.append(changed | _preferences(client, counters))
    resources.append(_owners(client, counters))
    resources.append(_pipelines(client, counters))
    return resources


def _pages_with_quarantine(
    pages: Iterator[list[dict[str, Any]]], table: str, counters: LoadCounters
) -> Iterator[Any]:
    counts = counters.of(table)
    yield from timed(counts, _validated_pages(pages, table, counts))


def _validated_pages(
    pages: Iterator[list[dict[str, Any]]], table: str, counts: ResourceCounts
) -> Iterator[Any]:
    key = OBJECTS.get(table, "id")
    hints = table_hints(table, key, column_hints(PROPERTIES.get(table, ())))
    for number, page in enumerate(pages, start=1):
        page = [strip_bodies(item) if isinstance(item, dict) else item for item in page]
        good, rejects = split_valid(page, requires(key), table, f"api page {number}")
        if good:
            counts.rows += len(good)
            yield dlt.mark.with_hints(good, hints, create_table_variant=True)
        if rejects:
            counts.quarantined += len(rejects)
            yield quarantine_item(quarantine_rows(SOURCE_NAME, rejects))


def _changed_objects(client: RESTClient, object_type: str, counters: LoadCounters) -> Any:
    def changed(
        updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
            "updatedAt", initial_value="1970-01-01T00:00:00Z"
        ),
    ) -> Iterator[Any]:
        yield from _pages_with_quarantine(
            api.list_objects(client, object_type), object_type, counters
        )

    return dlt.resource(changed, name=object_type)


def _archived_objects(client: RESTClient, object_type: str, counters: LoadCounters) -> Any:
    def archived() -> Iterator[Any]:
        yield from _pages_with_quarantine(
            api.list_objects(client, object_type, archived=True), object_type, counters
        )

    return dlt.resource(archived, name=f"{object_type}_archived")


def _owners(client: RESTClient, counters: LoadCounters) -> Any:
    def owners() -> Iterator[Any]:
        yield from _pages_with_quarantine(api.list_owners(client), "owners", counters)

    return dlt.resource(owners, name="owners")


def _pipelines(client: RESTClient, counters: LoadCounters) -> Any:
    def pipelines() -> Iterator[Any]:
        yield from _pages_with_quarantine(api.list_deal_pipelines(client), "pipelines", counters)

    return dlt.resource(pipelines, name="pipelines")


def _preferences(client: RESTClient, counters: LoadCounters) -> Any:
    table = "communication_preferences"
    hints = table_hints(table, OBJECTS[table])

    def preferences(contacts: Any) -> Iterator[Any]:
        counts = counters.of(table)
        rows = []
        for contact in contacts if isinstance(contacts, list) else [contacts]:
            email = (contact.get("properties") or {}).get("email")
            if not email:
                continue
            status = api.communication_preferences(client, email.strip().lower())
            if status is not None:
                rows.append(status)
        counts.rows += len(rows)
        if rows:
            yield dlt.mark.with_hints(rows, hints, create_table_variant=True)

    return dlt.transformer(preferences, name=table)

"""HubSpot CRM v3: from the REST API (``hubspot_api``) or from export files
(``hubspot_files``), into the same tables of ``raw_crm``.

Objects keep HubSpot's shape; dlt unnests ``properties`` into ``properties__<name>``
columns and ``associations`` into child tables. Each object merges on its id, so a
re-exported file or a re-read page updates records instead of duplicating them.
Archived (deleted) records arrive with ``archived = true``; merged-away contacts are
listed by their survivor in ``hs_merged_object_ids``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient

from ingestion.common import (
    LandingFile,
    LoadCounters,
    Reject,
    ResourceCounts,
    batched,
    checked_objects,
    json_lines,
    landing_files,
    line_chunks,
    new_files,
    parse_json_objects,
    quarantine_arrow,
    quarantine_item,
    readable,
    split_valid,
    table_hints,
    timed,
)
from ingestion.crm import api
from ingestion.crm.helpers import (
    cleaner,
    column_hints,
    parse_csv_objects,
    requires,
    strip_bodies,
)
from ingestion.crm.settings import (
    API_BASE_URL,
    API_OBJECTS,
    NEWEST_FIRST_BY,
    OBJECTS,
    PROPERTIES,
    SOURCE_NAME,
)
from ingestion.crm.sql import SqlObjectTables
from ingestion.crm.tables import ROOT_KEY_HINTS, ObjectTables
from ingestion.suppression import Suppression


class ObjectWriter:
    """One object type's records on their way to dlt, a page at a time: erased people
    removed (before unnesting, so their associations go too), the rest turned into Arrow
    tables (``tables.ObjectTables``), rejects to the quarantine."""

    def __init__(
        self,
        table: str,
        counters: LoadCounters,
        suppression: Suppression | None,
        counts_rows: bool = True,
    ) -> None:
        key = OBJECTS.get(table, "id")
        self.table = table
        self.counts = counters.of(table)
        self.counts_rows = counts_rows  # False where rows read are counted upstream
        self.suppression = suppression
        self.objects = ObjectTables(table, text_columns=(key,))
        newest: dict[str, Any] = {}
        if table in NEWEST_FIRST_BY:
            newest[NEWEST_FIRST_BY[table]] = {
                "data_type": "timestamp",
                "nullable": True,
                "dedup_sort": "desc",
            }
        self.hints = table_hints(
            table, key, column_hints(PROPERTIES.get(table, ())) | ROOT_KEY_HINTS | newest
        )

    def items(
        self,
        records: Sequence[tuple[int | None, dict[str, Any]]],
        origin: str,
        rejects: list[Reject],
    ) -> Iterator[Any]:
        if self.suppression is not None:
            records = self.suppression.records(self.table, records)
        tables, bad = self.objects.build(records, origin)
        rejects.extend(bad)
        yield from self.tables(tables)

    def tables(self, tables: dict[str, Any]) -> Iterator[Any]:
        """Tables of this object type on their way to dlt, counted: built here (``items``)
        or by DuckDB (``sql.SqlObjectTables``, erased people already left out)."""
        if self.counts_rows and self.table in tables:
            self.counts.rows += tables[self.table].num_rows
        yield from self.objects.items(tables, self.hints)

    def quarantine(self, rejects: list[Reject]) -> Iterator[Any]:
        if rejects:
            self.counts.quarantined += len(rejects)
            yield quarantine_item(quarantine_arrow(SOURCE_NAME, rejects))


@dlt.source(name=SOURCE_NAME)
def hubspot_files(
    folder: str | Path,
    counters: LoadCounters | None = None,
    suppression: Suppression | None = None,
) -> Any:
    """Export files: ``<object>.jsonl`` / ``.json`` (API shape) or ``<object>.csv``
    (HubSpot export with internal property names as headers)."""
    counters = counters or LoadCounters(SOURCE_NAME)
    return [_file_resource(name, folder, counters, suppression) for name in OBJECTS]


def _file_resource(
    name: str, folder: str | Path, counters: LoadCounters, suppression: Suppression | None
) -> Any:
    key = OBJECTS[name]
    clean = cleaner(name)
    json_parse = parse_json_objects(name, requires(key), clean=clean, numbered=True)
    csv_parse = parse_csv_objects(name, requires(key))
    patterns = tuple(
        f"{name}{tail}.{ext}" for tail in ("", "-*") for ext in ("json", "jsonl", "csv")
    )

    def parse(path: LandingFile, rejects: list[Reject]) -> Iterator[Any]:
        return (csv_parse if path.suffix == ".csv" else json_parse)(path, rejects)

    def load_files() -> Iterator[Any]:
        writer = ObjectWriter(name, counters, suppression)
        yield from timed(writer.counts, _load_files(writer, writer.counts))

    def _load_files(writer: ObjectWriter, counts: ResourceCounts) -> Iterator[Any]:
        def one_file(path: LandingFile, rejects: list[Reject]) -> Iterator[Any]:
            if path.suffix == ".jsonl":
                yield from _json_lines(path, writer, rejects)
            else:
                for page in parse(path, rejects):
                    yield from writer.items(page, path.name, rejects)

        for path in new_files(landing_files(folder, patterns), counts):
            rejects: list[Reject] = []
            yield from readable(one_file, name)(path, rejects)
            yield from writer.quarantine(rejects)

    def _json_lines(
        path: LandingFile, writer: ObjectWriter, rejects: list[Reject]
    ) -> Iterator[Any]:
        """JSON lines: DuckDB turns the records it can into tables (``sql``); the other
        lines take the Python way, with their exact reject reasons."""
        tables = SqlObjectTables(writer.objects, key, writer.suppression)
        try:
            for lines in line_chunks(path):
                taken, rest = tables.chunk(lines)
                del lines  # line_chunks reads the next chunk into the same memory
                yield from writer.tables(taken)
                found = json_lines(rest, name, path.name, rejects)
                records = checked_objects(found, name, path.name, requires(key), clean, rejects)
                for page in batched(records):
                    yield from writer.items(page, path.name, rejects)
        finally:
            tables.close()

    # Parallelized: dlt asks the object types' files for their next item from a thread
    # pool, so one type's Python (the shape, the fallback, Arrow casts) runs while
    # another's DuckDB parses (at M: the CRM's extract 7.2 s -> 5.8 s).
    return dlt.resource(load_files, name=name, parallelized=True)


@dlt.source(name=SOURCE_NAME)
def hubspot_api(
    access_token: str = dlt.secrets.value,
    base_url: str = API_BASE_URL,
    include_communication_preferences: bool = True,
    request_max_attempts: int = 5,
    request_backoff_factor: float = 1.0,
    request_max_retry_delay: float = 60.0,
    counters: LoadCounters | None = None,
    suppression: Suppression | None = None,
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
        changed = _changed_pages(client, object_type, counters)
        resources.append(changed | _page_tables(object_type, counters, suppression))
        resources.append(_archived_objects(client, object_type, counters, suppression))
        if object_type == "contacts" and include_communication_preferences:
            resources.append(changed | _preferences(client, counters, suppression))
    resources.append(_listed(lambda: api.list_owners(client), "owners", counters, suppression))
    resources.append(
        _listed(lambda: api.list_deal_pipelines(client), "pipelines", counters, suppression)
    )
    return resources


def _api_page(page: list[Any], number: int, writer: ObjectWriter) -> Iterator[Any]:
    page = [strip_bodies(item) if isinstance(item, dict) else item for item in page]
    origin = f"api page {number}"
    good, rejects = split_valid(
        page, requires(OBJECTS.get(writer.table, "id")), writer.table, origin
    )
    yield from writer.items(good, origin, rejects)
    yield from writer.quarantine(rejects)


def _changed_pages(client: RESTClient, object_type: str, counters: LoadCounters) -> Any:
    """Every page of an object type, passing on records whose ``updatedAt`` moved past
    the cursor; a record without ``updatedAt`` passes too (its checks come next)."""

    counts = counters.of(object_type)

    def changed(
        updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
            "updatedAt",
            initial_value="1970-01-01T00:00:00Z",
            on_cursor_value_missing="include",
        ),
    ) -> Iterator[Any]:
        for page in timed(counts, api.list_objects(client, object_type)):
            counts.rows += len(page)  # rows read; the tables say what got past the cursor
            yield page

    return dlt.resource(changed, name=f"{object_type}_changed", selected=False)


def _page_tables(object_type: str, counters: LoadCounters, suppression: Suppression | None) -> Any:
    writer = ObjectWriter(object_type, counters, suppression, counts_rows=False)
    pages = itertools.count(1)

    def tables(page: list[Any]) -> Iterator[Any]:
        yield from _api_page(page, next(pages), writer)

    return dlt.transformer(tables, name=object_type)


def _archived_objects(
    client: RESTClient, object_type: str, counters: LoadCounters, suppression: Suppression | None
) -> Any:
    return _listed(
        lambda: api.list_objects(client, object_type, archived=True),
        object_type,
        counters,
        suppression,
        name=f"{object_type}_archived",
    )


def _listed(
    pages: Callable[[], Iterator[list[dict[str, Any]]]],
    table: str,
    counters: LoadCounters,
    suppression: Suppression | None,
    name: str | None = None,
) -> Any:
    def listed() -> Iterator[Any]:
        writer = ObjectWriter(table, counters, suppression)
        items = (
            item
            for number, page in enumerate(pages(), start=1)
            for item in _api_page(page, number, writer)
        )
        yield from timed(writer.counts, items)

    return dlt.resource(listed, name=name or table)


def _preferences(
    client: RESTClient, counters: LoadCounters, suppression: Suppression | None
) -> Any:
    """Subscription statuses of every new or changed contact with an e-mail address."""
    writer = ObjectWriter("communication_preferences", counters, suppression)

    def preferences(contacts: Any) -> Iterator[Any]:
        statuses: list[tuple[int | None, dict[str, Any]]] = []
        for contact in contacts if isinstance(contacts, list) else [contacts]:
            found = contact.get("properties") if isinstance(contact, dict) else None
            email = found.get("email") if isinstance(found, dict) else None
            if not email:
                continue
            status = api.communication_preferences(client, email.strip().lower())
            if status is not None:
                statuses.append((len(statuses) + 1, status))
        rejects: list[Reject] = []
        yield from writer.items(statuses, "api communication preferences", rejects)
        yield from writer.quarantine(rejects)

    return dlt.transformer(preferences, name=writer.table)

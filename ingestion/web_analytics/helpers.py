"""Parse Segment-spec JSON lines into Arrow batches, rejecting what cannot be used.

The parse runs in an in-process DuckDB, column at a time: one JSON parse per line
(``json_transform`` to a fixed structure), the reject reason computed by a ``CASE`` in
the same pass. Python only cuts the file into lines (``line_chunks``) and hands rows
over as Arrow, so the per-event cost is DuckDB's, not the interpreter's. Rejected lines
keep their line number and raw text for the quarantine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.common import (
    LandingFile,
    Reject,
    UnreadableFile,
    future_cutoff,
    line_chunks,
    utf8_lines,
    without_rows,
)
from ingestion.web_analytics.settings import BATCH_ROWS, DUCKDB_THREADS, EVENT_SCHEMA, EVENT_TYPES
from leadhouse.config import connect

RESOURCE = "events"
# Rows per record batch handed to DuckDB: its unit of parallel work.
PARALLEL_ROWS = 8_192
# Rows per record batch fetched from DuckDB.
RESULT_BATCH_ROWS = 16_384

# The part of a Segment call that is loaded; everything else in the line is ignored.
# Scalars are read as text (a numeric userId becomes "123"); JSON keeps nested values.
_PAGE = {"path": "VARCHAR", "url": "VARCHAR", "title": "VARCHAR", "referrer": "VARCHAR"}
_STRUCTURE = orjson.dumps(
    {
        "messageId": "VARCHAR",
        "type": "VARCHAR",
        "event": "VARCHAR",
        "name": "VARCHAR",
        "anonymousId": "VARCHAR",
        "userId": "VARCHAR",
        "groupId": "VARCHAR",
        "previousId": "VARCHAR",
        "timestamp": "VARCHAR",
        "sentAt": "VARCHAR",
        "receivedAt": "VARCHAR",
        "properties": "JSON",
        "traits": "JSON",
        "context": {
            "page": _PAGE,
            "campaign": {"name": "VARCHAR", "source": "VARCHAR", "medium": "VARCHAR"},
            "traits": "JSON",
            "consent": {"categoryPreferences": "JSON"},
        },
    }
).decode()
_PAGE_FROM_PROPERTIES = orjson.dumps(_PAGE).decode()
_TYPES = ", ".join(f"'{kind}'" for kind in sorted(EVENT_TYPES))
# ISO 8601 with a time and an explicit offset: a naive time has no defined instant.
_ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"


def _instant(column: str) -> str:
    return (
        f"case when regexp_full_match({column}, '{_ISO_WITH_OFFSET}') "
        f"then try_cast({column} as timestamptz) end"
    )


def _json_or_null(expression: str) -> str:
    """Empty objects, arrays and falsy scalars carry no information: store NULL."""
    falsy = "'{}', '[]', '\"\"', 'null', 'false', '0'"
    return f"case when {expression} in ({falsy}) then null else {expression} end"


_WHITESPACE = "' ' || chr(9) || chr(10) || chr(13)"

# One JSON parse per line: json_transform runs once in `calls`, whose struct the later
# steps read fields from (DuckDB evaluates a projected column once; materialising the CTE
# only added a copy of every row). The raw line is not carried along: only rejected lines
# need theirs, taken from the chunk by line number. Reasons are checked in order; the
# first that applies is the one recorded.
_SQL = f"""
with calls as (
    select line_number, is_json, e,
        -- json_transform reads anything but an object as all NULLs: ask only then.
        case when is_json and coalesce(e.messageId, '') = ''
            then json_type(line) = 'OBJECT' end as is_object,
        -- Trimmed only when not JSON: trim is not free.
        case when not is_json then trim(line, {_WHITESPACE}) = '' end as is_blank
    from (
        select line_number, line, is_json,
            case when is_json then json_transform(line, '{_STRUCTURE}') end as e
        from (select line_number, line, json_valid(line) as is_json from chunk)
    )
), typed as (
    select line_number, is_json, is_object, is_blank, e,
        {_instant("e.timestamp")} as ts,
        -- A page call without context.page carries the page in its properties.
        case when e.type = 'page'
            and coalesce(e.context.page.path, e.context.page.url, e.context.page.title) is null
            then json_transform(e.properties, '{_PAGE_FROM_PROPERTIES}') end as page_props
    from calls
), judged as (
    select *,
        case
            when not is_json then 'malformed JSON'
            when not is_object then 'not a JSON object'
            when coalesce(e.messageId, '') = '' then 'missing messageId'
            when e.type is null or e.type not in ({_TYPES})
                then 'unknown event type: ' || coalesce('''' || e.type || '''', 'None')
            when e.type = 'track' and coalesce(e.event, '') = ''
                then 'track call without event name'
            when coalesce(e.anonymousId, '') = '' and coalesce(e.userId, '') = ''
                then 'neither anonymousId nor userId'
            when ts is null
                then 'invalid timestamp: ' || coalesce('''' || e.timestamp || '''', 'None')
            when ts > $future then 'timestamp in the future: ' || e.timestamp
        end as reject_reason
    from typed
)
select
    line_number,
    reject_reason,
    e.messageId as message_id,
    e.type as type,
    e.event as event,
    e.name as name,
    e.anonymousId as anonymous_id,
    e.userId as user_id,
    e.groupId as group_id,
    e.previousId as previous_id,
    ts as timestamp,
    {_instant("e.sentAt")} as sent_at,
    {_instant("e.receivedAt")} as received_at,
    coalesce(e.context.page.path, page_props.path) as page_path,
    coalesce(e.context.page.url, page_props.url) as page_url,
    coalesce(e.context.page.title, page_props.title) as page_title,
    nullif(coalesce(e.context.page.referrer, page_props.referrer), '') as page_referrer,
    e.context.campaign.name as campaign_name,
    e.context.campaign.source as campaign_source,
    e.context.campaign.medium as campaign_medium,
    {_json_or_null("e.properties")} as properties,
    {_json_or_null("coalesce(" + _json_or_null("e.traits") + ", e.context.traits)")} as traits,
    {_json_or_null("e.context.consent.categoryPreferences")} as consent_preferences,
    $source_file as source_file,
    line_number as source_line
from judged
-- Blank lines are skipped, not rejected.
where not coalesce(is_blank, false)
"""


def _lines(path: LandingFile) -> Iterator[pa.Table]:
    """JSON lines as (line_number, line) tables. Parquet files with the Segment fields as
    columns are turned into the same JSON lines (row numbers stand in for lines), so
    there is one definition of a valid event whatever the file format."""
    if path.suffix != ".parquet":
        yield from line_chunks(path)
        return
    with path.open("rb") as handle:
        position = 0
        for batch in _parquet_batches(handle):
            # Parquet writers store UTC instants, sometimes without the zone.
            rows = [
                orjson.dumps(row, option=orjson.OPT_NAIVE_UTC, default=str).decode()
                for row in batch.to_pylist()
            ]
            numbers = pa.array(range(position + 1, position + len(rows) + 1), type=pa.int64())
            position += len(rows)
            yield pa.table({"line_number": numbers, "line": pa.array(rows, type=pa.string())})


def _parquet_batches(handle: Any) -> Iterator[pa.RecordBatch]:
    """A Parquet file's record batches; a file Arrow cannot read raises ``UnreadableFile``
    after the batches read before the fault (``common.readable`` quarantines it)."""
    try:
        yield from pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS)
    except pa.ArrowInvalid as error:  # not I/O errors: a source that cannot read fails
        raise UnreadableFile(f"not a readable Parquet file: {error}") from error


# Segment's identifiers (JSON key, column). Sent as text; a number is taken as its text.
_IDENTIFIERS = (("messageId", "message_id"), ("anonymousId", "anonymous_id"), ("userId", "user_id"))
_ODD_TEXTS = pa.array(["true", "false"])


def _odd_identifiers(result: pa.Table, lines: pa.Table) -> pa.Table:
    """``result`` with events whose identifier is an object, a list or true/false
    rejected: the parse reads those as their JSON text (``'["x"]'`` as a visitor id), which
    would make a visitor of nobody. Candidates (text starting with a bracket, or
    ``true``/``false``) are found column-wise; only they are read again from their line,
    so the usual chunk costs a few vector operations."""
    suspect = None
    for _, column in _IDENTIFIERS:
        values = result[column]
        hit = pc.fill_null(
            pc.or_(
                pc.or_(pc.starts_with(values, "{"), pc.starts_with(values, "[")),
                pc.is_in(values, value_set=_ODD_TEXTS),
            ),
            False,  # an absent identifier is not an odd one
        )
        suspect = hit if suspect is None else pc.or_(suspect, hit)
    if suspect is None:
        return result
    suspect = pc.and_(suspect, pc.is_null(result["reject_reason"]))
    candidates = pc.indices_nonzero(suspect).to_pylist()
    if not candidates:
        return result
    reasons = result["reject_reason"].to_pylist()
    first = lines["line_number"][0].as_py()
    for row in candidates:
        event = orjson.loads(lines["line"][result["line_number"][row].as_py() - first].as_py())
        for key, _ in _IDENTIFIERS:
            value = event.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
                reasons[row] = f"wrong type: {key} must be text, got {value!r}"
                break
    position = result.schema.get_field_index("reject_reason")
    return result.set_column(position, "reject_reason", pa.array(reasons, type=pa.string()))


def _malformed_reason(line: str) -> str:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError as error:
        return f"malformed JSON: {error}"
    return "malformed JSON"


def parse_file(path: LandingFile, rejects: list[Reject]) -> Iterator[pa.Table]:
    """Stream one file: Arrow tables of good events; bad records appended to ``rejects``."""
    params = {"future": future_cutoff(), "source_file": path.name}
    with connect(None, threads=DUCKDB_THREADS) as con:
        con.execute("set TimeZone = 'UTC'")
        for chunk in _lines(path):
            # A line that is not UTF-8 is rejected as such (rare: the chunk is then bytes).
            lines = utf8_lines(chunk, RESOURCE, path.name, rejects)
            del chunk
            good = _parse_chunk(con, lines, params, path.name, rejects)
            # Let go of the lines before the next chunk, so line_chunks can read it into
            # the same memory.
            del lines
            if good is not None:
                yield good


def _parse_chunk(
    con: duckdb.DuckDBPyConnection,
    lines: pa.Table,
    params: dict[str, object],
    origin: str,
    rejects: list[Reject],
) -> pa.Table | None:
    """The good events of one chunk of lines; its rejects are appended to ``rejects``."""
    # Several record batches let DuckDB parse on every core (one batch = one thread).
    batches = lines.to_batches(max_chunksize=PARALLEL_ROWS)
    con.register("chunk", pa.Table.from_batches(batches, schema=lines.schema))
    # Fetched in record batches: DuckDB's Arrow buffers then stay small enough to be
    # recycled by the allocator instead of being fresh memory (page faults) every chunk.
    reader = con.execute(_SQL, params).to_arrow_reader(RESULT_BATCH_ROWS)
    result = pa.Table.from_batches(reader, schema=reader.schema)
    con.unregister("chunk")
    result = _odd_identifiers(result, lines)
    bad = pc.indices_nonzero(pc.is_valid(result["reject_reason"]))
    rejected = result.take(bad)
    # Lines are numbered consecutively within a chunk.
    offsets = pc.subtract(rejected["line_number"], lines["line_number"][0])
    raw_lines = lines["line"].take(offsets).to_pylist()
    for number, reason, line in zip(
        rejected["line_number"].to_pylist(),
        rejected["reject_reason"].to_pylist(),
        raw_lines,
        strict=True,
    ):
        if reason == "malformed JSON":
            reason = _malformed_reason(line)
        rejects.append(Reject(RESOURCE, origin, number, reason, line))
    good = without_rows(result, bad).select(EVENT_SCHEMA.names)
    return good.cast(EVENT_SCHEMA) if good.num_rows else None

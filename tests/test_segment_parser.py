"""The Segment parser's rules, one crafted line each, and the chunked line reader under it."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.common import SLICED_DROP_SHARE, Reject, landing_files, line_chunks, without_rows
from ingestion.web_analytics.helpers import parse_file
from ingestion.web_analytics.settings import EVENT_SCHEMA

NOW = datetime.now(UTC)


def _file(folder: Path, name: str) -> object:
    (match,) = [f for f in landing_files(folder, (name,)) if f.name == name]
    return match


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "track",
        "event": "Pricing Viewed",
        "messageId": "m-1",
        "anonymousId": "a-1",
        "timestamp": "2026-10-21T07:23:26.466Z",
    }
    return {k: v for k, v in (base | fields).items() if v is not ...}


def _parse(tmp_path: Path, lines: list[str]) -> tuple[list[dict[str, object]], list[Reject]]:
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects: list[Reject] = []
    tables = list(parse_file(_file(tmp_path, "events.jsonl"), rejects))
    assert all(t.schema == EVENT_SCHEMA for t in tables)
    return [row for t in tables for row in t.to_pylist()], rejects


def test_every_reject_reason_with_its_line_and_raw_text(tmp_path: Path) -> None:
    future = (NOW + timedelta(days=3)).isoformat()
    lines = [
        json.dumps(_event(messageId="good-1")),
        '{"type": "track", "messageId": "cut-off',
        "[1, 2, 3]",
        json.dumps(_event(messageId=...)),
        json.dumps(_event(messageId="m-2", type="purchase")),
        json.dumps(_event(messageId="m-3", event="")),
        json.dumps(_event(messageId="m-4", anonymousId=...)),
        json.dumps(_event(messageId="m-5", timestamp="2026-10-21T07:23:26")),  # no offset
        json.dumps(_event(messageId="m-6", timestamp="yesterday")),
        json.dumps(_event(messageId="m-7", timestamp=future)),
        "   ",
        "",
        json.dumps(_event(messageId="good-2", anonymousId=..., userId=123)),
    ]
    rows, rejects = _parse(tmp_path, lines)
    assert [r["message_id"] for r in rows] == ["good-1", "good-2"]
    assert rows[1]["user_id"] == "123"  # a numeric userId is kept as text
    by_line = {r.line_number: r.reason for r in rejects}
    assert by_line[2].startswith("malformed JSON: ")
    assert by_line == {
        2: by_line[2],
        3: "not a JSON object",
        4: "missing messageId",
        5: "unknown event type: 'purchase'",
        6: "track call without event name",
        7: "neither anonymousId nor userId",
        8: "invalid timestamp: '2026-10-21T07:23:26'",
        9: "invalid timestamp: 'yesterday'",
        10: f"timestamp in the future: {future}",
    }
    assert all(r.file_name == "events.jsonl" for r in rejects)
    assert {r.line_number: str(r.raw_payload).strip() for r in rejects}[5] == lines[4]


def test_identifiers_that_are_not_text_are_rejected_not_read_as_their_json(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps(_event(messageId="good-1", anonymousId="[not json]")),
        json.dumps(_event(messageId={"id": 1})),
        json.dumps(_event(messageId="m-3", anonymousId=["a-1"])),
        json.dumps(_event(messageId="m-4", anonymousId=..., userId=True)),
        json.dumps(_event(messageId="m-5", anonymousId="a-5", userId={"email": "x@y.pl"})),
        json.dumps(_event(messageId="good-2", anonymousId=..., userId="false")),
        json.dumps(_event(messageId="good-3", anonymousId=..., userId=17)),
    ]
    rows, rejects = _parse(tmp_path, lines)
    # Text that looks like JSON or a boolean stays: only other JSON types are rejected.
    assert [(r["message_id"], r["anonymous_id"], r["user_id"]) for r in rows] == [
        ("good-1", "[not json]", None),
        ("good-2", None, "false"),
        ("good-3", None, "17"),
    ]
    assert {r.line_number: r.reason for r in rejects} == {
        2: "wrong type: messageId must be text, got {'id': 1}",
        3: "wrong type: anonymousId must be text, got ['a-1']",
        4: "wrong type: userId must be text, got True",
        5: "wrong type: userId must be text, got {'email': 'x@y.pl'}",
    }


def test_fields_are_mapped_as_the_segment_spec_puts_them(tmp_path: Path) -> None:
    page_in_properties = _event(
        messageId="p-1",
        type="page",
        event=...,
        properties={"path": "/pricing", "url": "https://x.test/pricing", "title": "Pricing"},
    )
    page_in_context = _event(
        messageId="p-2",
        type="page",
        event=...,
        properties={},
        context={
            "page": {"path": "/docs", "url": "u", "title": "Docs", "referrer": ""},
            "campaign": {"name": "spring", "source": "google", "medium": "cpc"},
            "traits": {"email": "a@b.test"},
            "consent": {"categoryPreferences": {"Advertising": False}},
        },
        timestamp="2026-10-21 09:00:00+02:00",
    )
    rows, rejects = _parse(tmp_path, [json.dumps(page_in_properties), json.dumps(page_in_context)])
    assert rejects == []
    first, second = rows
    assert (first["page_path"], first["page_title"]) == ("/pricing", "Pricing")
    assert json.loads(str(first["properties"]))["path"] == "/pricing"
    assert second["page_path"] == "/docs" and second["page_referrer"] is None
    assert second["properties"] is None  # an empty object carries nothing
    assert json.loads(str(second["traits"])) == {"email": "a@b.test"}
    assert json.loads(str(second["consent_preferences"])) == {"Advertising": False}
    assert (second["campaign_name"], second["campaign_medium"]) == ("spring", "cpc")
    assert second["timestamp"] == datetime(2026, 10, 21, 7, 0, tzinfo=UTC)
    assert (second["source_file"], second["source_line"]) == ("events.jsonl", 2)


def test_parquet_rows_follow_the_same_rules(tmp_path: Path) -> None:
    good = _event(messageId="q-1", timestamp=datetime(2026, 10, 21, 7, 0))  # naive = UTC
    bad = _event(messageId="q-2", type="purchase", timestamp=datetime(2026, 10, 21, 7, 0))
    pq.write_table(pa.Table.from_pylist([good, bad]), tmp_path / "events.parquet")
    rejects: list[Reject] = []
    rows = [
        row
        for table in parse_file(_file(tmp_path, "events.parquet"), rejects)
        for row in table.to_pylist()
    ]
    assert [(r["message_id"], r["source_line"]) for r in rows] == [("q-1", 1)]
    assert rows[0]["timestamp"] == datetime(2026, 10, 21, 7, 0, tzinfo=UTC)
    assert [(r.line_number, r.reason) for r in rejects] == [(2, "unknown event type: 'purchase'")]


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("chunk_bytes", [7, 64, 1 << 20])
def test_line_chunks_keep_lines_whole_and_numbered(
    tmp_path: Path, chunk_bytes: int, compressed: bool
) -> None:
    """Also from gzip, whose reads return less than asked before the end."""
    lines = ["short", "", "a line that is longer than one small chunk", "x" * 100, "zażółć", "end"]
    data = ("\n".join(lines)).encode()  # no final newline
    name = "t.jsonl.gz" if compressed else "t.jsonl"
    (tmp_path / name).write_bytes(gzip.compress(data) if compressed else data)
    chunks = list(line_chunks(_file(tmp_path, name), chunk_bytes=chunk_bytes))
    got = [
        (number, line)
        for chunk in chunks
        for number, line in zip(
            chunk["line_number"].to_pylist(), chunk["line"].to_pylist(), strict=True
        )
    ]
    assert [n for n, _ in got] == list(range(1, len(lines) + 1))
    assert [line.rstrip("\n") for _, line in got] == lines


def test_line_chunks_keep_the_bytes_of_a_chunk_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_bytes(b'{"a": 1}\n{"b": "\xff"}\nlast\n')
    (chunk,) = line_chunks(_file(tmp_path, "t.jsonl"))
    assert chunk["line"].to_pylist() == [b'{"a": 1}\n', b'{"b": "\xff"}\n', b"last\n"]
    assert chunk["line_number"].to_pylist() == [1, 2, 3]


def _line_buffer_address(chunk: pa.Table) -> int:
    return int(chunk["line"].chunks[0].buffers()[2].address)


def test_line_chunks_reuse_the_memory_of_chunks_let_go(tmp_path: Path) -> None:
    """A chunk the caller no longer holds is overwritten by the next (held chunks are not:
    see the test above, which keeps them all), and the thread's next file reads into the
    same memory again."""
    lines = [f'{{"n": {n}}}' for n in range(300)]
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    addresses, got = [], []
    for name in ("a.jsonl", "b.jsonl"):
        for chunk in line_chunks(_file(tmp_path, name), chunk_bytes=256):
            addresses.append(_line_buffer_address(chunk))
            got += [line.rstrip("\n") for line in chunk["line"].to_pylist()]
            del chunk
    assert got == lines + lines
    assert len(addresses) > 20 and len(set(addresses)) == 1


# How long Arrow's thread pool may take to let go of a scanned chunk (see below).
RELEASE_GRACE_S = 0.5


def test_parse_file_lets_go_of_each_chunk_and_keeps_rejects_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Across many small chunks: the parser keeps no reference to a chunk once it has
    yielded its events, so every chunk's memory is free for the next one, and rejected
    lines still carry their own number and text.

    DuckDB's scan of a registered Arrow table lets go of the chunk's batches a moment
    after the query has ended, from other threads (Arrow's pool, as far as measured: with
    one Arrow thread it did not happen in 4,000 chunks). On a busy machine (the whole
    suite on two cores) the next read sometimes came first, and the test failed with no
    reference left in Leadhouse's code: measured alone under load, 16 of 4,000 chunks
    were still held at the read, none half a second later. So a chunk may take up to half
    a second to be let go of here; a reference the parser kept would hold it for good."""
    import ingestion.common as common

    released: list[bool] = []

    def recording(buffer: bytearray) -> bool:
        deadline = time.monotonic() + RELEASE_GRACE_S
        while not unshared(buffer) and time.monotonic() < deadline:
            time.sleep(0.001)
        released.append(unshared(buffer))
        return released[-1]

    unshared = common._unshared
    monkeypatch.setattr(common, "_unshared", recording)
    monkeypatch.setattr(common.line_chunks, "__defaults__", (512,))
    lines = []
    for n in range(1, 201):
        lines.append(json.dumps(_event(messageId=f"m-{n}")) if n % 17 else f"broken {n} {{")
    rows, rejects = _parse(tmp_path, lines)
    assert len(rows) == 200 - 200 // 17
    assert [(r.line_number, r.raw_payload) for r in rejects] == [
        (n, f"broken {n} {{\n") for n in range(17, 201, 17)
    ]
    assert len(released) > 20 and all(released)


def _numbered_table(rows: int) -> pa.Table:
    batches = [
        pa.record_batch({"n": pa.array(range(start, min(start + 300, rows)), pa.int64())})
        for start in range(0, rows, 300)
    ]
    return pa.Table.from_batches(batches)


def test_without_rows_keeps_the_other_rows_in_order_without_copying_them() -> None:
    table = _numbered_table(1_000)
    dropped = pa.array([0, 5, 6, 299, 300, 999], pa.uint64())
    kept = without_rows(table, dropped)
    assert kept.column("n").to_pylist() == [
        n for n in range(1_000) if n not in (0, 5, 6, 299, 300, 999)
    ]
    assert kept.schema == table.schema
    # Slices of the table's own buffers: every chunk's data lies inside one of the input's.
    inputs = [chunk.buffers()[1] for chunk in table.column("n").chunks]
    for chunk in kept.column("n").chunks:
        data = chunk.buffers()[1]
        assert any(
            data.address >= source.address
            and data.address + data.size <= source.address + source.size
            for source in inputs
        )
    assert without_rows(table, pa.array([], pa.uint64())) is table


def test_without_rows_copies_when_many_rows_go_and_can_drop_everything() -> None:
    table = _numbered_table(1_000)
    many = [n for n in range(0, 1_000, 3)]
    assert len(many) > SLICED_DROP_SHARE * table.num_rows
    kept = without_rows(table, pa.array(many, pa.uint64()))
    assert kept.column("n").to_pylist() == [n for n in range(1_000) if n % 3]
    few = _numbered_table(5)
    everything = without_rows(few, pa.array(range(5), pa.uint64()))
    assert everything.num_rows == 0 and everything.schema == few.schema

"""HubSpot objects turned into Arrow tables in dlt's nested layout (ingestion/crm/tables.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from ingestion.crm.tables import ObjectTables


def _contact(contact_id: str, companies: list[str], **top: object) -> dict:
    return {
        "id": contact_id,
        "properties": {"email": f"p{contact_id}@example.pl", "interest_level": 3, "x": None},
        "createdAt": "2026-05-09T00:56:06.000Z",
        "updatedAt": "2026-05-10T10:00:00+02:00",
        "archived": False,
        "associations": {
            "companies": {"results": [{"id": c, "type": "contact_to_company"} for c in companies]}
        },
        **top,
    }


def test_objects_unnest_into_root_and_nested_tables_linked_by_row_keys() -> None:
    builder = ObjectTables("contacts", text_columns=("id",))
    tables, rejects = builder.build(
        [(1, _contact("11", ["a", "b"])), (2, _contact("12", [])), (3, _contact("13", ["c"]))],
        "contacts.jsonl",
    )
    assert rejects == []
    root, nested = tables["contacts"], tables["contacts__associations__companies__results"]
    assert root.column("id").to_pylist() == ["11", "12", "13"]
    # A property sent as a number is text, as HubSpot sends every property.
    assert root.schema.field("properties__interest_level").type == pa.string()
    assert root.column("properties__interest_level").to_pylist() == ["3", "3", "3"]
    # Instants are UTC timestamps, whatever offset they were written with.
    assert root.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert root.column("updated_at")[0].as_py() == datetime(2026, 5, 10, 8, tzinfo=UTC)
    assert root.schema.field("archived").type == pa.bool_()
    assert not root.schema.field("id").nullable
    # Every nested row points at its parent row and root, with its place in the list.
    by_id = dict(
        zip(root.column("_dlt_id").to_pylist(), root.column("id").to_pylist(), strict=True)
    )
    pairs = sorted(
        (by_id[parent], company, index)
        for parent, company, index in zip(
            nested.column("_dlt_parent_id").to_pylist(),
            nested.column("id").to_pylist(),
            nested.column("_dlt_list_idx").to_pylist(),
            strict=True,
        )
    )
    assert pairs == [("11", "a", 0), ("11", "b", 1), ("13", "c", 0)]
    assert nested.column("_dlt_root_id").to_pylist() == nested.column("_dlt_parent_id").to_pylist()
    assert len(set(nested.column("_dlt_id").to_pylist())) == 3


def test_row_keys_are_new_for_every_version_of_a_record() -> None:
    first = ObjectTables("contacts").build([(1, _contact("11", ["a"]))], "f")[0]
    again = ObjectTables("contacts").build([(1, _contact("11", ["a"]))], "f")[0]
    assert first["contacts"]["_dlt_id"][0] != again["contacts"]["_dlt_id"][0]


def test_lists_in_lists_and_lists_of_scalars() -> None:
    pipeline = {
        "id": "default",
        "displayOrder": 0,
        "stages": [
            {"id": "won", "metadata": {"probability": "1.0", "isClosed": "true"}, "tags": ["x"]}
        ],
    }
    tables, _ = ObjectTables("pipelines").build([(1, pipeline)], "pipelines.jsonl")
    assert tables["pipelines"].schema.field("display_order").type == pa.int64()
    stages = tables["pipelines__stages"]
    assert stages.column("metadata__is_closed").to_pylist() == ["true"]
    tags = tables["pipelines__stages__tags"]
    assert tags.column("value").to_pylist() == ["x"]
    assert tags.column("_dlt_parent_id").to_pylist() == stages.column("_dlt_id").to_pylist()
    assert tags.column("_dlt_root_id").to_pylist() == tables["pipelines"]["_dlt_id"].to_pylist()


def test_a_record_with_an_unreadable_timestamp_is_rejected_alone() -> None:
    bad = _contact("12", ["b"], updatedAt="last Tuesday")
    tables, rejects = ObjectTables("contacts").build(
        [(1, _contact("11", ["a"])), (2, bad)], "contacts.jsonl"
    )
    assert tables["contacts"].column("id").to_pylist() == ["11"]
    assert tables["contacts__associations__companies__results"].num_rows == 1
    (reject,) = rejects
    assert (reject.file_name, reject.line_number) == ("contacts.jsonl", 2)
    assert reject.reason == "invalid timestamp in updated_at: 'last Tuesday'"
    assert b'"last Tuesday"' in reject.raw_payload


def test_mixed_scalar_types_in_one_column_become_text() -> None:
    owners = [(1, {"id": "1", "userId": 9100}), (2, {"id": "2", "userId": "u-2"})]
    tables, _ = ObjectTables("owners").build(owners, "owners.jsonl")
    assert tables["owners"].column("user_id").to_pylist() == ["9100", "u-2"]


def test_an_integer_beyond_64_bits_becomes_text_instead_of_stopping_the_load() -> None:
    builder = ObjectTables("contacts", text_columns=("id",))
    tables, rejects = builder.build(
        [(1, {"id": "1", "big": 18446744073709551615}), (2, {"id": "2", "big": 1})],
        "contacts.jsonl",
    )
    assert rejects == []
    assert tables["contacts"].column("big").to_pylist() == ["18446744073709551615", "1"]

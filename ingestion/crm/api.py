"""HubSpot CRM v3 REST API client pieces, built on dlt's REST client.

- Cursor paging on ``paging.next.after``.
- Retries with exponential backoff on 429 and 5xx, honouring ``Retry-After`` (dlt's
  requests ``Client``); dlt itself does not retry loads.
- Incremental: each object type is listed with its associations and only records whose
  ``updatedAt`` moved past the stored cursor are passed on (the list API has no modified
  filter and the search API returns no associations). Archived records are listed
  separately on every run so deletions reach the warehouse as ``archived = true``.
- Communication preferences (subscription statuses with legal basis) are read for every
  new or changed contact with an e-mail address.

The access token comes from dlt secrets and is only ever sent as a header.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ingestion.crm.settings import ASSOCIATIONS, PAGE_SIZE, PROPERTIES


def make_client(
    base_url: str,
    access_token: str,
    max_attempts: int = 5,
    backoff_factor: float = 1.0,
    max_retry_delay: float = 60.0,
) -> RESTClient:
    session = Client(
        request_max_attempts=max_attempts,
        request_backoff_factor=backoff_factor,
        request_max_retry_delay=max_retry_delay,
        raise_for_status=False,
    ).session
    return RESTClient(
        base_url=base_url,
        auth=BearerTokenAuth(token=access_token),
        paginator=JSONResponseCursorPaginator(
            cursor_path="paging.next.after", cursor_param="after"
        ),
        data_selector="results",
        session=session,
    )


def list_objects(
    client: RESTClient, object_type: str, archived: bool = False
) -> Iterator[list[dict[str, Any]]]:
    params: dict[str, Any] = {"limit": PAGE_SIZE, "archived": str(archived).lower()}
    properties = PROPERTIES.get(object_type, ())
    if properties:
        params["properties"] = ",".join(properties)
    associations = ASSOCIATIONS.get(object_type, ())
    if associations:
        params["associations"] = ",".join(associations)
    for page in client.paginate(f"/crm/v3/objects/{object_type}", params=params):
        yield list(page)


def list_owners(client: RESTClient) -> Iterator[list[dict[str, Any]]]:
    for page in client.paginate("/crm/v3/owners", params={"limit": PAGE_SIZE}):
        yield list(page)


def list_deal_pipelines(client: RESTClient) -> Iterator[list[dict[str, Any]]]:
    # Not paged: a portal has a handful of pipelines, each with its stages inline.
    response = client.get("/crm/v3/pipelines/deals")
    response.raise_for_status()
    yield list(response.json().get("results", []))


def communication_preferences(client: RESTClient, email: str) -> dict[str, Any] | None:
    response = client.get(f"/communication-preferences/v3/status/email/{quote(email)}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body

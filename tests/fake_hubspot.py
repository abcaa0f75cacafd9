"""A local stand-in for the HubSpot CRM v3 API on 127.0.0.1, for tests only.

Serves objects with real cursor paging, checks the bearer token, and injects 429 (with
Retry-After) and 500 responses on chosen requests, once each.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "test-token-not-a-secret"


class FakeHubSpot:
    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        owners: list[dict[str, Any]],
        preferences: dict[str, dict[str, Any]],
        pipelines: list[dict[str, Any]],
    ) -> None:
        self.objects = objects
        self.pipelines = pipelines
        self.owners = owners
        self.preferences = preferences
        self.faults: dict[tuple[str, str], int] = {}  # (path, after) -> status, served once
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeHubSpot:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["100"])[0])
        start = int(query.get("after", ["0"])[0])
        body: dict[str, Any] = {"results": items[start : start + limit]}
        if start + limit < len(items):
            body["paging"] = {"next": {"after": str(start + limit), "link": "..."}}
        return body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                fake.statuses[status] += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                fake.requests[url.path] += 1
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(
                        401, {"status": "error", "message": "Authentication credentials not found."}
                    )
                    return
                fault = fake.faults.pop((url.path, query.get("after", [""])[0]), None)
                if fault == 429:
                    self._send(
                        429, {"status": "error", "message": "rate limit"}, {"Retry-After": "0"}
                    )
                    return
                if fault:
                    self._send(fault, {"status": "error", "message": "internal error"})
                    return
                parts = url.path.strip("/").split("/")
                if url.path.startswith("/crm/v3/objects/"):
                    archived = query.get("archived", ["false"])[0] == "true"
                    items = [
                        o
                        for o in fake.objects.get(parts[3], [])
                        if bool(o.get("archived")) == archived
                    ]
                    self._send(200, fake._page(items, query))
                elif url.path == "/crm/v3/pipelines/deals":
                    self._send(200, {"results": fake.pipelines})
                elif url.path == "/crm/v3/owners":
                    self._send(200, fake._page(fake.owners, query))
                elif url.path.startswith("/communication-preferences/v3/status/email/"):
                    status = fake.preferences.get(unquote(parts[-1]))
                    if status is None:
                        self._send(404, {"status": "error", "message": "not found"})
                    else:
                        self._send(200, status)
                else:
                    self._send(404, {"status": "error", "message": "unknown path"})

        return Handler

"""A stand-in for the DVCQG portal on 127.0.0.1: replays the recorded responses, split into pages,
and injects the faults a fetcher must survive (tests never touch the network).

Answers ``POST /api/v1/reporting/evaluation/<endpoint>`` like the portal (HTTP 201, the
``{"code": "OK", "data": ...}`` envelope) from ``tests/data/dvcqg-phu-tho-2026/<period>/``
and the national table from ``tests/data/dvcqg-national-2026/<period>.json``. The three
list endpoints are cut into pages of ``page_size`` units (the overview on every page) with
their ``pagination`` rewritten, so a fetch has to follow ``totalPages``. A period without
recorded responses answers HTTP 404.

Faults are queued per call, ``server.inject("transparency", 2, "500", "429")``, and used
up one per request to that call: ``429`` (with ``Retry-After``), ``500``, ``slow`` (answers
after ``slow_seconds``), ``drop`` (closes the connection without answering), ``truncate``
(announces the full length, sends half, closes), ``short-json`` (a complete HTTP answer
whose JSON is cut), ``wrong-province`` (another province's departmentId), ``not-ok``
(envelope code "ERROR").
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import DATA, REFERENCE

API = "/api/v1/reporting/evaluation/"
NATIONAL = DATA / "dvcqg-national-2026"
LIST_ENDPOINTS = ("transparency", "dossier-digitized", "handling-satisfaction")
OTHER_PROVINCE = {"departmentId": "00000000-0000-0000-0000-0000000000aa", "departmentName": "UBND tỉnh Khác"}


def _period_code(body: dict) -> str:
    if "fromDate" in body:  # satisfaction: a date range
        start, end = body["fromDate"], body["toDate"]
        months = (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7]) + 1
        if months == 1:
            return start[:7]
        if months == 3:
            return f"{start[:4]}-Q{(int(start[5:7]) + 2) // 3}"
        return start[:4]
    kind = body.get("timeType")
    if kind == "month":
        return f"{body['year']}-{body['month']:02d}"
    if kind == "quarter":
        return f"{body['year']}-Q{body['quarter']}"
    return str(body.get("year"))


def _dump(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ReplayServer:
    def __init__(self, page_size: int = 60, retry_after: str = "2", slow_seconds: float = 1.0):
        self.page_size, self.retry_after, self.slow_seconds = page_size, retry_after, slow_seconds
        self.faults: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.requests: list[tuple[str, dict]] = []  # (endpoint, body) in arrival order
        self.most_at_once = 0  # the most requests being answered at the same time
        self._active = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "ReplayServer":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def inject(self, endpoint: str, page: int, *faults: str) -> None:
        self.faults[(endpoint, page)].extend(faults)

    def calls(self, endpoint: str, page: int | None = None) -> int:
        return sum(1 for e, b in self.requests if e == endpoint and (page is None or b.get("currentPage") == page))

    def answer(self, endpoint: str, body: dict) -> bytes | None:
        """The recorded response for this call, paged; None when there is none."""
        period = _period_code(body)
        if endpoint == "service-results":
            path = NATIONAL / f"{period}.json"
            return path.read_bytes() if path.is_file() else None
        path = REFERENCE / period / f"{endpoint}.json"
        if not path.is_file():
            return None
        if endpoint not in LIST_ENDPOINTS:
            return path.read_bytes()
        doc = json.loads(path.read_bytes())
        units = doc["data"]["evaluation"]
        page = int(body.get("currentPage", 1))
        pages = max(1, -(-len(units) // self.page_size))
        doc["data"]["evaluation"] = units[(page - 1) * self.page_size: page * self.page_size]
        doc["data"]["pagination"] = {"total": len(units), "currentPage": page, "pageSize": self.page_size,
                                     "totalPages": pages}
        return _dump(doc)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: bytes, headers: dict | None = None, send: bytes | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload if send is None else send)
                self.wfile.flush()

            def do_POST(self) -> None:
                with server._lock:
                    server._active += 1
                    server.most_at_once = max(server.most_at_once, server._active)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server._active -= 1

            def _answer(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                endpoint = self.path.removeprefix(API)
                with server._lock:
                    server.requests.append((endpoint, body))
                    queue = server.faults.get((endpoint, int(body.get("currentPage", 1))))
                    fault = queue.pop(0) if queue else None
                if fault == "429":
                    return self._send(429, b'{"code":"TOO_MANY_REQUESTS"}', {"Retry-After": server.retry_after})
                if fault == "500":
                    return self._send(500, b'{"code":"INTERNAL_ERROR"}')
                if fault == "drop":
                    self.close_connection = True
                    return None
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                payload = server.answer(endpoint, body)
                if payload is None:
                    return self._send(404, b'{"code":"NOT_FOUND","message":"no data"}')
                if fault == "wrong-province":
                    doc = json.loads(payload)
                    top = doc["data"].get("overview") or doc["data"].get("parent")
                    top.update(OTHER_PROVINCE)
                    payload = _dump(doc)
                if fault == "not-ok":
                    payload = b'{"code":"ERROR","message":"He thong dang ban","data":null}'
                if fault == "truncate":
                    self._send(201, payload, send=payload[: len(payload) // 2])
                    self.close_connection = True
                    return None
                if fault == "short-json":
                    payload = payload[: len(payload) // 2]
                return self._send(201, payload)

        return Handler

"""Fetch one province's official results of one period from the national portal (DVCQG).

:func:`fetch_official` writes ``OUT/<period>/`` (e.g. ``OUT/2026-Q3/``):

- ``service-results.json`` — the national table of the period (every province's total
  and six group scores), through which the province is resolved;
- ``<endpoint>-p<N>.json`` — every page of the six group responses, byte for byte as
  the portal sent them;
- ``fetch-manifest.json`` — per file: URL, request body, HTTP status, time, size and
  SHA-256, and whether the folder is complete.

That folder is exactly what ``chiso score-official`` and ``make report SOURCE=official:DIR``
read. The calls, bodies, page sizes and pagination are those of
``../shared/spec/dvcqg-api.md``.

Being gentle with a public service, and robust against it:

- one request at a time, with a pause of ``delay`` seconds between requests;
- HTTP 429 and 5xx, timeouts, dropped connections and incomplete bodies are retried
  with exponential backoff (tenacity), waiting at least what ``Retry-After`` asks; after
  the last attempt the run stops with one line naming the call;
- a re-run skips every file whose bytes still match the SHA-256 in the manifest, so an
  interrupted fetch resumes where it stopped; each file (and the manifest) is written to a
  temporary name and renamed, so no file is ever partial;
- a month that has not ended, or a quarter or year that has not started, is refused
  before any request (the current quarter and year are allowed, as on the portal).

Example
-------
>>> fetch_official("phu tho", Period.parse("2026-Q3"), Path("data/official/phu-tho"))  # doctest: +SKIP
FetchResult(folder=PosixPath('data/official/phu-tho/2026-Q3'), province=Province(name='UBND tỉnh Phú Thọ', ...), ...)
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import httpx
import tenacity
from tqdm import tqdm

from chiso import __version__
from chiso.errors import ChisoError
from chiso.formatting import fold_diacritics
from chiso.outputs import write_text
from chiso.paths import OFFICIAL_ROOT
from chiso.period import Period
from chiso.sources.official import ENDPOINTS, FETCH_MANIFEST, PROVINCE_LIST

BASE_URL = "https://dichvucong.gov.vn"
API_PATH = "/api/v1/reporting/evaluation/"
# Page sizes the portal's own page asks for (dvcqg-api.md, "Calls").
PAGE_SIZE = {
    "transparency": 200,
    "handling-satisfaction": 200,
    "dossier-digitized": 200,
    "dvc-progress-tree": 100,
    "provide-online-tree": 200,
    "formality-online-payment-tree": 100,
}
SATISFACTION = "handling-satisfaction"  # the one call that takes a date range
HEADERS = {
    "Content-Type": "application/json;charset=UTF-8",
    "Accept": "application/json",
    "Origin": BASE_URL,
    "Referer": f"{BASE_URL}/danh-gia-chat-luong-phuc-vu",
    "User-Agent": f"chiso/{__version__} (+https://github.com/; one request at a time)",
}
DEFAULT_DELAY = 1.0  # seconds between requests
DEFAULT_RETRIES = 4  # retries after the first attempt
DEFAULT_TIMEOUT = 60.0  # seconds per request
DEFAULT_BACKOFF = 2.0  # first backoff wait, doubled at every retry
MAX_WAIT = 300.0  # never wait longer than this between attempts; a longer Retry-After stops the run
MAX_PAGES = 1000  # a pagination that never ends is a portal fault, not a reason to loop
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
# SOURCE=dvcqg: an earlier period the portal could not give is not asked for again this soon.
UNAVAILABLE_NAME = "unavailable.json"
ASK_AGAIN_AFTER = timedelta(hours=24)
# "UBND tỉnh Phú Thọ", "Thành phố Hà Nội": the words before the name proper.
_NAME_PREFIX = re.compile(r"^(ubnd|uy ban nhan dan)?\s*(tinh|thanh pho|tp\.?)?\s*", re.I)


class FetchError(ChisoError):
    """The portal could not give a usable answer (after retries, where retrying makes sense)."""


class _Transient(Exception):
    """A failure worth retrying: 429/5xx, timeout, dropped connection, incomplete body."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Province:
    """One province of the national table (``service-results``)."""

    department_id: str
    name: str
    code: str | None


@dataclass
class FetchResult:
    folder: Path
    province: Province
    fetched: list[str] = field(default_factory=list)  # files requested in this run
    kept: list[str] = field(default_factory=list)  # files already complete (hash verified)

    def summary(self) -> str:
        return (f"{self.folder}: {len(self.fetched) + len(self.kept)} files for {self.province.name}"
                f" ({self.province.code or self.province.department_id}): {len(self.fetched)} fetched, "
                f"{len(self.kept)} already complete")


def province_slug(text: str) -> str:
    """Folder name for a province given by name, code or id: ``"UBND tỉnh Phú Thọ"`` and
    ``"phu tho"`` both give ``"phu-tho"``."""
    return re.sub(r"[^a-z0-9]+", "-", _bare_name(text)).strip("-") or "province"


def _bare_name(text: str) -> str:
    folded = " ".join(fold_diacritics(text).lower().split())
    return _NAME_PREFIX.sub("", folded).strip()


def check_period_available(period: Period, now: datetime | None = None) -> None:
    """Refuse what the portal cannot have yet: a month that has not ended, a quarter or year
    that has not started (dvcqg-api.md: the current quarter and year are allowed)."""
    today = (now or datetime.now(LOCAL_TIME)).replace(tzinfo=None)
    if period.kind == "month" and period.full_end >= today:
        raise ChisoError(f"period {period.code} has not ended yet (today is {today:%Y-%m-%d}): "
                         "the portal publishes a month only after it ends")
    if period.start > today:
        raise ChisoError(f"period {period.code} is in the future (today is {today:%Y-%m-%d})")


def period_fields(period: Period) -> dict:
    """``timeType``/``year`` (and ``quarter`` or ``month``) of a request body."""
    fields = {"timeType": period.kind, "year": period.year}
    if period.kind in ("quarter", "month"):
        fields[period.kind] = period.number
    return fields


def group_body(endpoint: str, period: Period, department_id: str, page: int) -> dict:
    """Request body of one group call; satisfaction takes a date range instead of timeType."""
    if endpoint == SATISFACTION:
        when = {"fromDate": f"{period.start:%Y-%m-%d}", "toDate": f"{period.full_end:%Y-%m-%d}"}
    else:
        when = period_fields(period)
    return {**when, "rootDepartmentId": department_id, "currentPage": page, "pageSize": PAGE_SIZE[endpoint]}


def provinces_body(period: Period) -> dict:
    return {**period_fields(period), "departmentType": "ADMINISTRATIVE_UNIT"}


def resolve_province(query: str, provinces: list[Province]) -> Province:
    """The province named by ``query``: its departmentId, its code (``H44``), or its name
    without regard to case, diacritics or the "UBND tỉnh" prefix."""
    text = str(query).strip()
    for p in provinces:
        if text == p.department_id or (p.code and text.casefold() == p.code.casefold()):
            return p
    bare = _bare_name(text)
    found = [p for p in provinces if _bare_name(p.name) == bare]
    if len(found) == 1:
        return found[0]
    names = ", ".join(sorted(p.name for p in provinces)[:40])
    what = "matches several provinces" if found else "matches no province"
    raise ChisoError(f"province {query!r} {what} of the portal's national table ({len(provinces)}: {names})")


def parse_provinces(raw: bytes, source: str) -> list[Province]:
    """Provinces of a ``service-results`` response (``data.evaluation[]``)."""
    try:
        items = json.loads(raw)["data"]["evaluation"]
        provinces = [Province(str(i["departmentId"]), str(i["departmentName"]), i.get("departmentCode"))
                     for i in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{source}: not a national table (expected data.evaluation[] of provinces with "
                         f"departmentId and departmentName): {type(exc).__name__} {exc}") from exc
    if not provinces:
        raise FetchError(f"{source}: the national table lists no province")
    return provinces


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass
class _Answer:
    raw: bytes
    url: str
    status: int
    time: str


class PortalClient:
    """POST calls to the portal, one at a time, paced, with retries (see the module docstring).

    ``sleep`` is injectable so tests can record the waits instead of sleeping them.
    """

    def __init__(self, base_url: str = BASE_URL, delay: float = DEFAULT_DELAY, retries: int = DEFAULT_RETRIES,
                 timeout: float = DEFAULT_TIMEOUT, backoff: float = DEFAULT_BACKOFF,
                 sleep: Callable[[float], None] = time.sleep):
        if retries < 0 or delay < 0 or timeout <= 0:
            raise ChisoError("--retries and --delay must be ≥ 0 and the timeout > 0")
        self.base_url = base_url.rstrip("/")
        self.delay, self.retries, self.sleep = delay, retries, sleep
        self._backoff = tenacity.wait_exponential(multiplier=backoff, max=MAX_WAIT)
        self._http = httpx.Client(base_url=self.base_url, headers=HEADERS, timeout=timeout)
        self._last_request: float | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PortalClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def post(self, path: str, body: dict, what: str) -> _Answer:
        """POST ``body`` to ``path``; ``what`` names the call in messages ("transparency page 2")."""
        url = self.base_url + path
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, path, body, url, what)
        except _Transient as exc:
            raise FetchError(f"POST {url} ({what}): gave up after {self.retries + 1} attempts: {exc}") from exc

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception()
        return max(self._backoff(state), getattr(exc, "retry_after", None) or 0.0)

    def _pause(self) -> None:
        if self._last_request is not None:
            remaining = self.delay - (time.monotonic() - self._last_request)
            if remaining > 0:
                self.sleep(remaining)

    def _attempt(self, path: str, body: dict, url: str, what: str) -> _Answer:
        self._pause()
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            response = self._http.post(path, content=json.dumps(body).encode())
        except httpx.TimeoutException as exc:
            raise _Transient(f"no answer within {self._http.timeout.read} s ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__}: {exc or 'dropped'})") from exc
        finally:
            self._last_request = time.monotonic()
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > MAX_WAIT:
                raise FetchError(f"POST {url} ({what}): HTTP {status}, the portal asks to wait "
                                 f"{retry_after:.0f} s (Retry-After): try again later")
            raise _Transient(f"HTTP {status}", retry_after)
        if not 200 <= status < 300:
            raise FetchError(f"POST {url} ({what}): HTTP {status} {response.reason_phrase}")
        raw = response.content
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise _Transient(f"incomplete or malformed JSON body ({len(raw)} bytes: {exc})") from exc
        if not isinstance(doc, dict) or doc.get("code") != "OK" or not isinstance(doc.get("data"), dict):
            code = doc.get("code") if isinstance(doc, dict) else None
            message = doc.get("message") if isinstance(doc, dict) else None
            raise FetchError(f"POST {url} ({what}): the portal answered code={code!r} ({message}), "
                             "expected code 'OK' with a data object")
        return _Answer(raw, str(response.url), status, when)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: never a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Folder:
    """One period's output folder and its manifest, updated after every file."""

    def __init__(self, folder: Path, period: Period, base_url: str):
        self.folder = folder
        self.path = folder / FETCH_MANIFEST
        self.manifest = {"period": period.code, "base_url": base_url, "province": None,
                         "complete": False, "files": {}}
        if self.path.is_file():
            try:
                previous = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(previous.get("files"), dict):
                    self.manifest["files"] = previous["files"]
                    self.manifest["province"] = previous.get("province")
            except (ValueError, OSError, AttributeError):
                pass  # an unreadable manifest: every file is fetched again

    def verified(self, name: str, body: dict) -> bytes | None:
        """The file's bytes when it is complete: same request, hash as recorded."""
        entry = self.manifest["files"].get(name)
        path = self.folder / name
        if not entry or entry.get("body") != body or not path.is_file():
            return None
        raw = path.read_bytes()
        return raw if _sha256(raw) == entry.get("sha256") else None

    def store(self, name: str, body: dict, answer: _Answer) -> None:
        _write_atomic(self.folder / name, answer.raw)
        self.manifest["files"][name] = {"url": answer.url, "body": body, "status": answer.status,
                                        "time": answer.time, "size": len(answer.raw),
                                        "sha256": _sha256(answer.raw)}
        self.save()

    def save(self) -> None:
        _write_atomic(self.path, json.dumps(self.manifest, ensure_ascii=False, indent=1).encode("utf-8"))


def fetch_official(
    province: str,
    period: Period,
    out: Path,
    client: PortalClient | None = None,
    progress: bool = True,
    now: datetime | None = None,
) -> FetchResult:
    """Fetch ``period`` for ``province`` (name, code or departmentId) into ``out/<period>/``.

    Raises ChisoError (one line) for a period not available yet (before any request), a
    province the national table does not know, a folder holding another province, an
    answer for another province, or a call that still fails after the last retry.
    """
    check_period_available(period, now)
    folder = Path(out) / period.code
    folder.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or PortalClient()
    state = _Folder(folder, period, client.base_url)
    result = None
    bar = tqdm(total=1 + len(ENDPOINTS), unit="call", desc=f"DVCQG {period.code}", disable=not progress,
               file=sys.stderr, leave=False)
    try:
        fetched, kept = [], []

        def get(name: str, path: str, body: dict, what: str, expect: Province | None = None) -> bytes:
            raw = state.verified(name, body)
            if raw is None:
                answer = client.post(path, body, what)
                if expect is not None:
                    _check_province(answer.raw, expect, f"POST {answer.url} ({what})")
                state.store(name, body, answer)
                fetched.append(name)
                raw = answer.raw
            else:
                kept.append(name)
            bar.update()
            return raw

        raw = get(PROVINCE_LIST, API_PATH + "service-results", provinces_body(period), "national table")
        target = resolve_province(province, parse_provinces(raw, str(folder / PROVINCE_LIST)))
        known = state.manifest.get("province") or {}
        if known.get("department_id") not in (None, target.department_id):
            raise ChisoError(f"{folder}: holds results of {known.get('name')!r}, not {target.name!r}: "
                             "choose another --out folder")
        state.manifest["province"] = {"department_id": target.department_id, "name": target.name,
                                      "code": target.code}
        wanted = {PROVINCE_LIST}
        for endpoint in ENDPOINTS:
            page = total = 1
            while page <= total:
                name = f"{endpoint}-p{page}.json"
                raw = get(name, API_PATH + endpoint, group_body(endpoint, period, target.department_id, page),
                          f"{endpoint} page {page}", expect=target)
                wanted.add(name)
                if page == 1:
                    total = _total_pages(raw, name)
                    bar.total += total - 1
                    bar.refresh()
                page += 1
        for stale in set(state.manifest["files"]) - wanted:  # pages of an earlier, longer answer
            (folder / stale).unlink(missing_ok=True)
            del state.manifest["files"][stale]
        state.manifest["complete"] = True
        state.save()
        result = FetchResult(folder, target, fetched, kept)
    finally:
        bar.close()
        if own_client:
            client.close()
        if result is None and state.manifest["files"]:
            state.save()
    return result


def _total_pages(raw: bytes, name: str) -> int:
    pagination = json.loads(raw)["data"].get("pagination") or {}
    total = pagination.get("totalPages", 1)
    if not isinstance(total, int) or isinstance(total, bool) or not 1 <= total <= MAX_PAGES:
        if total == 0:  # an empty answer still has its one page
            return 1
        raise FetchError(f"{name}: pagination.totalPages is {total!r}; expected a whole number 1–{MAX_PAGES}")
    return total


def _check_province(raw: bytes, province: Province, call: str) -> None:
    """A group answer must be the asked province's: its overview/parent departmentId."""
    data = json.loads(raw)["data"]
    top = data.get("overview") or data.get("parent")
    if isinstance(top, dict) and top.get("departmentId") not in (None, province.department_id):
        raise FetchError(f"{call}: answered for {top.get('departmentName')!r} ({top.get('departmentId')}), "
                         f"not {province.name!r} ({province.department_id})")


def fetch_for_report(province: str, periods: list[Period], root: Path | None = None,
                     client: PortalClient | None = None, progress: bool = True,
                     now: datetime | None = None) -> Path:
    """``SOURCE=dvcqg:PROVINCE``: make sure ``root/<province>/`` holds the reported period (the
    last of ``periods``) and the trend's earlier ones (months, quarters or years alike), fetching
    what is missing; returns the folder (``root`` defaults to ``data/official``). A cut-off
    date plays no part: the portal's responses of a period are as of when they are fetched.

    The reported period must be fetched; an earlier one that the portal cannot give is
    left out of the trend with a one-line note, and recorded in ``unavailable.json`` so that
    the runs of the next :data:`ASK_AGAIN_AFTER` do not ask the portal again.
    """
    if not province.strip():
        raise ChisoError("source 'dvcqg:' needs a province: dvcqg:NAME, dvcqg:CODE or dvcqg:DEPARTMENT_ID")
    folder = Path(root or OFFICIAL_ROOT) / province_slug(province)
    *earlier, period = [p.whole for p in periods]
    check_period_available(period, now)
    asked_at = (now or datetime.now(LOCAL_TIME)).replace(tzinfo=None)
    unavailable = _read_unavailable(folder)
    own_client = client is None
    client = client or PortalClient()
    try:
        for p in [*earlier, period]:
            if _complete(folder / p.code):
                continue
            refused = unavailable.get(p.code)
            if p != period and refused and asked_at < refused["asked_at"] + ASK_AGAIN_AFTER:
                print(f"note: {p.code} left out of the trend: the portal could not give it at "
                      f"{refused['asked_at']:%Y-%m-%d %H:%M} ({refused['error']}); asked again from "
                      f"{refused['asked_at'] + ASK_AGAIN_AFTER:%Y-%m-%d %H:%M} (or delete {folder / UNAVAILABLE_NAME})",
                      file=sys.stderr)
                continue
            try:
                print(fetch_official(province, p, folder, client, progress, now).summary(), file=sys.stderr)
                unavailable.pop(p.code, None)
            except ChisoError as exc:
                if p == period:
                    raise
                # An earlier period the portal cannot give must not stop the report, nor be
                # read half-fetched as part of the trend.
                shutil.rmtree(folder / p.code, ignore_errors=True)
                unavailable[p.code] = {"asked_at": asked_at, "error": str(exc)}
                print(f"note: {p.code} left out of the trend: {exc}", file=sys.stderr)
    finally:
        if own_client:
            client.close()
        _write_unavailable(folder, unavailable)
    return folder


def _read_unavailable(folder: Path) -> dict[str, dict]:
    """The earlier periods the portal could not give: when it was asked, and its error (unavailable.json)."""
    try:
        recorded = json.loads((folder / UNAVAILABLE_NAME).read_text(encoding="utf-8"))
        return {code: {"asked_at": datetime.fromisoformat(entry["asked_at"]), "error": str(entry["error"])}
                for code, entry in recorded.items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}  # missing or damaged: ask the portal again


def _write_unavailable(folder: Path, unavailable: dict[str, dict]) -> None:
    path = folder / UNAVAILABLE_NAME
    if unavailable:
        folder.mkdir(parents=True, exist_ok=True)
        recorded = {code: {"asked_at": entry["asked_at"].isoformat(timespec="seconds"), "error": entry["error"]}
                    for code, entry in unavailable.items()}
        write_text(path, json.dumps(recorded, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    else:
        path.unlink(missing_ok=True)


def _complete(folder: Path) -> bool:
    """A period folder whose manifest says complete and whose files all match their hashes."""
    try:
        manifest = json.loads((folder / FETCH_MANIFEST).read_text(encoding="utf-8"))
        return manifest.get("complete") is True and all(
            _sha256((folder / name).read_bytes()) == entry["sha256"] for name, entry in manifest["files"].items()
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False

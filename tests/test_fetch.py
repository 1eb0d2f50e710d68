"""chiso fetch-official against the replay server on 127.0.0.1 (no network): the fetched folder
reproduces the published points, faults are retried or stop with one line, a re-run resumes."""

import hashlib
import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from chiso.cli import main
from chiso.errors import ChisoError, InputError
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.report.source_data import trend_periods
from chiso.sources.fetch import (
    UNAVAILABLE_NAME,
    FetchError,
    PortalClient,
    check_period_available,
    fetch_for_report,
    fetch_official,
    parse_provinces,
    province_slug,
    resolve_province,
)
from chiso.sources.official import ENDPOINTS, FETCH_MANIFEST, PROVINCE_LIST, load_official, score_official
from conftest import REFERENCE, REFERENCE_PERIODS
from dvcqg_replay import NATIONAL, OTHER_PROVINCE, ReplayServer

PHU_THO = "019d2be3-6a88-732b-8b17-b68020c8553a"
RETRIES = 2
SLOW_TIMEOUT = 1.0  # the client's timeout when the server answers "slow" (after 4 s)


@pytest.fixture
def server():
    with ReplayServer(slow_seconds=4.0) as s:
        yield s


@pytest.fixture
def waits():
    return []


def client_for(server, waits, timeout=10.0):
    # tiny pauses and backoff; the sleeps are recorded, not slept
    return PortalClient(server.url, delay=0.001, retries=RETRIES, timeout=timeout, backoff=0.001,
                        sleep=waits.append)


def fetch(server, waits, tmp_path, period="2026-Q3", province="Phú Thọ", timeout=10.0):
    with client_for(server, waits, timeout) as client:
        return fetch_official(province, Period.parse(period), tmp_path, client, progress=False)


@pytest.mark.parametrize("period", REFERENCE_PERIODS)
def test_fetched_folder_reproduces_the_published_points(server, waits, tmp_path, period):
    result = fetch(server, waits, tmp_path, period)
    folder = tmp_path / period
    assert result.folder == folder and result.province.department_id == PHU_THO
    # the three list endpoints come in 3 pages of 60 units; every page kept as its own file
    assert sorted(p.name for p in folder.glob("transparency-p*.json")) == [
        "transparency-p1.json", "transparency-p2.json", "transparency-p3.json"]
    m = load_methodology("qd766-2022")
    fetched = score_official(load_official([folder]), m)
    recorded = score_official(load_official([REFERENCE / period]), m)
    both = recorded.merge(fetched, on=["unit", "indicator"], suffixes=("", "_fetched"), validate="one_to_one")
    assert len(both) == len(recorded) == len(fetched)
    assert np.allclose(both["points"], both["points_fetched"], equal_nan=True)
    comparable = fetched[fetched["published_points"].notna() & (fetched["status"] == "ok")]
    assert np.allclose(comparable["points"], comparable["published_points"], atol=1e-9)


def test_manifest_records_every_file(server, waits, tmp_path):
    result = fetch(server, waits, tmp_path)
    manifest = json.loads((result.folder / FETCH_MANIFEST).read_text(encoding="utf-8"))
    assert manifest["complete"] is True and manifest["province"]["code"] == "H44"
    files = {p.name for p in result.folder.iterdir()} - {FETCH_MANIFEST}
    assert set(manifest["files"]) == files
    # 1 national table + 3 pages × 3 list endpoints + 3 tree endpoints
    assert len(files) == 1 + 9 + 3
    for name, entry in manifest["files"].items():
        raw = (result.folder / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest() and entry["size"] == len(raw)
        assert entry["status"] == 201 and entry["url"].startswith(server.url) and entry["time"]
    body = manifest["files"]["transparency-p2.json"]["body"]
    assert body == {"timeType": "quarter", "year": 2026, "quarter": 3, "rootDepartmentId": PHU_THO,
                    "currentPage": 2, "pageSize": 200}
    satisfaction = manifest["files"]["handling-satisfaction-p1.json"]["body"]
    assert (satisfaction["fromDate"], satisfaction["toDate"]) == ("2026-07-01", "2026-09-30")
    assert "timeType" not in satisfaction
    national = manifest["files"][PROVINCE_LIST]["body"]
    assert national == {"timeType": "quarter", "year": 2026, "quarter": 3, "departmentType": "ADMINISTRATIVE_UNIT"}
    # raw bytes as received
    assert (result.folder / PROVINCE_LIST).read_bytes() == (NATIONAL / "2026-Q3.json").read_bytes()


def test_one_request_at_a_time_with_a_pause(server, tmp_path):
    waits = []
    # the pauses are recorded, not slept: a long delay is always still running at the next request
    with PortalClient(server.url, delay=60, retries=0, timeout=10, sleep=waits.append) as client:
        fetch_official("H44", Period.parse("2026-08"), tmp_path, client, progress=False)
    # a pause before every request but the first, and never two requests at once
    assert len(waits) == len(server.requests) - 1 and all(0 < w <= 60 for w in waits)
    assert server.most_at_once == 1


@pytest.mark.parametrize("query", ["Phú Thọ", "phu tho", "UBND tỉnh Phú Thọ", "  PHU   THO ", "H44", "h44", PHU_THO])
def test_province_by_name_code_or_id(query):
    provinces = parse_provinces((NATIONAL / "2026-Q3.json").read_bytes(), "service-results.json")
    assert len(provinces) == 34
    assert resolve_province(query, provinces).department_id == PHU_THO


def test_province_slug_is_the_same_for_every_spelling():
    assert {province_slug(q) for q in ("Phú Thọ", "phu tho", "UBND tỉnh Phú Thọ")} == {"phu-tho"}
    assert province_slug("UBND thành phố Hồ Chí Minh") == "ho-chi-minh"


def test_unknown_province_stops_before_any_group_call(server, waits, tmp_path):
    with pytest.raises(ChisoError, match=r"province 'Atlantis' matches no province .*34: UBND"):
        fetch(server, waits, tmp_path, province="Atlantis")
    assert [e for e, _ in server.requests] == ["service-results"]


@pytest.mark.parametrize("fault", ["429", "500", "slow", "drop", "truncate", "short-json"])
def test_a_transient_fault_is_retried(server, waits, tmp_path, fault):
    server.inject("transparency", 2, fault)
    result = fetch(server, waits, tmp_path, timeout=SLOW_TIMEOUT if fault == "slow" else 10)
    assert server.calls("transparency", 2) == 2
    assert "transparency-p2.json" in result.fetched
    raw = (result.folder / "transparency-p2.json").read_bytes()
    assert json.loads(raw)["data"]["pagination"]["currentPage"] == 2
    if fault == "429":
        assert 2.0 in waits  # Retry-After: 2 honoured (the backoff alone is 0.001 s)


def test_backoff_grows_exponentially(server, waits, tmp_path):
    server.inject("dvc-progress-tree", 1, "500", "500")
    with PortalClient(server.url, delay=0, retries=2, timeout=10, backoff=0.5, sleep=waits.append) as client:
        fetch_official("H44", Period.parse("2026-Q3"), tmp_path, client, progress=False)
    assert [w for w in waits if w >= 0.5] == [0.5, 1.0]


@pytest.mark.parametrize("fault, reason", [
    ("500", "HTTP 500"), ("429", "HTTP 429"), ("drop", "connection failed"), ("slow", "no answer within 1.0 s"),
    ("truncate", "connection failed"), ("short-json", "incomplete or malformed JSON"),
])
def test_last_retry_stops_with_one_line_naming_the_call(server, waits, tmp_path, fault, reason):
    server.inject("dossier-digitized", 2, *[fault] * (RETRIES + 1))
    with pytest.raises(FetchError) as info:
        fetch(server, waits, tmp_path, timeout=SLOW_TIMEOUT if fault == "slow" else 10)
    message = str(info.value)
    assert message.startswith(f"POST {server.url}/api/v1/reporting/evaluation/dossier-digitized "
                              f"(dossier-digitized page 2): gave up after {RETRIES + 1} attempts: {reason}")
    assert "\n" not in message
    folder = tmp_path / "2026-Q3"
    assert not list(folder.glob("*.part")) and not (folder / "dossier-digitized-p2.json").exists()
    # what was fetched is kept, marked unfinished: the reader refuses it until a re-run completes it
    assert json.loads((folder / FETCH_MANIFEST).read_text(encoding="utf-8"))["complete"] is False
    with pytest.raises(InputError, match="did not finish; run chiso fetch-official again"):
        load_official([folder])


def test_a_rerun_resumes_and_skips_verified_files(server, waits, tmp_path):
    server.inject("dossier-digitized", 3, *["500"] * (RETRIES + 1))
    with pytest.raises(FetchError):
        fetch(server, waits, tmp_path)
    done_before = len(server.requests)
    # a file damaged on disk is fetched again; a complete one is not
    damaged = tmp_path / "2026-Q3" / "transparency-p1.json"
    damaged.write_bytes(damaged.read_bytes()[:100])
    server.requests.clear()
    result = fetch(server, waits, tmp_path)
    assert sorted(result.fetched) == sorted(["transparency-p1.json", "dossier-digitized-p3.json",
                                             *[f"{e}-p1.json" for e in ENDPOINTS[ENDPOINTS.index("dossier-digitized") + 1:]],
                                             *[f"handling-satisfaction-p{n}.json" for n in (2, 3)]])
    assert len(server.requests) == len(result.fetched) and done_before > len(result.fetched)
    assert len(result.kept) == 13 - len(result.fetched)
    server.requests.clear()
    again = fetch(server, waits, tmp_path)
    assert again.fetched == [] and server.requests == []  # nothing asked: every file verified
    load_official([tmp_path / "2026-Q3"])


def test_an_answer_for_another_province_stops_and_is_not_kept(server, waits, tmp_path):
    server.inject("dvc-progress-tree", 1, "wrong-province")
    with pytest.raises(FetchError, match=r"\(dvc-progress-tree page 1\): answered for 'UBND tỉnh Khác' "
                                         rf"\({OTHER_PROVINCE['departmentId']}\), not 'UBND tỉnh Phú Thọ'"):
        fetch(server, waits, tmp_path)
    assert not (tmp_path / "2026-Q3" / "dvc-progress-tree-p1.json").exists()


def test_an_error_envelope_stops_without_retrying(server, waits, tmp_path):
    server.inject("transparency", 1, "not-ok")
    with pytest.raises(FetchError, match=r"\(transparency page 1\): the portal answered code='ERROR'"):
        fetch(server, waits, tmp_path)
    assert server.calls("transparency") == 1


def test_a_period_without_data_is_an_http_error(server, waits, tmp_path):
    with pytest.raises(FetchError, match=r"\(national table\): HTTP 404"):
        fetch(server, waits, tmp_path, period="2026-Q2")


def test_a_folder_of_another_province_is_refused(server, waits, tmp_path):
    fetch(server, waits, tmp_path)
    with pytest.raises(ChisoError, match="holds results of 'UBND tỉnh Phú Thọ', not 'UBND thành phố Huế'"):
        fetch(server, waits, tmp_path, province="Huế")


@pytest.mark.parametrize("period, allowed", [
    ("2026-08", True), ("2026-09", False), ("2026-Q3", True), ("2026-Q4", False), ("2026", True), ("2027", False),
])
def test_periods_not_available_are_refused(period, allowed):
    now = datetime(2026, 9, 26, 10, 0)
    if allowed:
        check_period_available(Period.parse(period), now)
    else:
        with pytest.raises(ChisoError, match="has not ended yet|is in the future"):
            check_period_available(Period.parse(period), now)


def test_future_period_refused_before_any_request(server, waits, tmp_path):
    with client_for(server, waits) as client, pytest.raises(ChisoError, match="in the future"):
        fetch_official("H44", Period.parse("2026-Q4"), tmp_path, client, progress=False,
                       now=datetime(2026, 9, 26))
    assert server.requests == [] and not (tmp_path / "2026-Q4").exists()


def test_cli_fetch_then_score_official(server, tmp_path, capsys):
    out = tmp_path / "dvcqg"
    argv = ["fetch-official", "--province", "phu tho", "--period", "2026-08", "--out", str(out),
            "--base-url", server.url, "--delay", "0", "--retries", "1"]
    assert main(argv) == 0
    assert "13 files for UBND tỉnh Phú Thọ (H44): 13 fetched, 0 already complete" in capsys.readouterr().out
    assert main(["score-official", str(out / "2026-08"), "--out", str(tmp_path / "s.csv")]) == 0
    assert "164 units" in capsys.readouterr().out


def test_cli_stops_with_one_line_and_exit_2(server, tmp_path, capsys):
    server.inject("transparency", 1, "500", "500")
    argv = ["fetch-official", "--province", "H44", "--period", "2026-Q3", "--out", str(tmp_path),
            "--base-url", server.url, "--delay", "0", "--retries", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(transparency page 1): gave up after 2 attempts: HTTP 500" in err


def test_dvcqg_source_fetches_what_the_report_needs(server, waits, tmp_path, capsys):
    with client_for(server, waits) as client:
        folder = fetch_for_report("Phú Thọ", trend_periods(Period.parse("2026-Q3")), root=tmp_path, client=client, progress=False)
    assert folder == tmp_path / "phu-tho"
    # the quarter is fetched; earlier quarters the portal has no data for are left out, with a note
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["2026-Q3"]
    assert "note: 2026-Q2 left out of the trend" in capsys.readouterr().err
    assert sorted(json.loads((folder / UNAVAILABLE_NAME).read_text(encoding="utf-8"))) == ["2025-Q4", "2026-Q1",
                                                                                          "2026-Q2"]
    server.requests.clear()
    with client_for(server, waits) as client:
        fetch_for_report("phu tho", trend_periods(Period.parse("2026-Q3")), root=tmp_path, client=client, progress=False)
    assert [e for e, _ in server.requests].count("transparency") == 0  # the quarter is complete: not asked again
    # nor the earlier quarters the portal could not give, for a day; then they are asked again
    assert server.requests == []
    assert "note: 2026-Q2 left out of the trend: the portal could not give it at" in capsys.readouterr().err
    recorded = json.loads((folder / UNAVAILABLE_NAME).read_text(encoding="utf-8"))
    later = datetime.fromisoformat(recorded["2026-Q2"]["asked_at"]) + timedelta(hours=25)
    with client_for(server, waits) as client:
        fetch_for_report("phu tho", trend_periods(Period.parse("2026-Q3")), root=tmp_path, client=client,
                         progress=False, now=later)
    assert {e for e, _ in server.requests} and sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["2026-Q3"]


def test_dvcqg_source_in_chiso_report(server, tmp_path, monkeypatch):
    import chiso.report.runner
    import chiso.sources.fetch

    seen = {}
    monkeypatch.setattr(chiso.sources.fetch, "OFFICIAL_ROOT", tmp_path)
    monkeypatch.setattr(chiso.report.runner, "run_report", lambda args: seen.setdefault("source", args.source) and 0)
    argv = ["report", "--quarter", "3", "--source", "dvcqg:phu tho", "--base-url", server.url, "--delay", "0",
            "--retries", "0"]
    assert main(argv) == 0
    assert seen["source"] == f"official:{tmp_path / 'phu-tho'}"
    assert (tmp_path / "phu-tho" / "2026-Q3" / FETCH_MANIFEST).is_file()

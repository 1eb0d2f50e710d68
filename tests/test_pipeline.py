"""Batch runner: warm parallel workers, own folders, failure isolation, skip unchanged, manifest.

The report data is the hand-made tiny province of tests/tiny_report.py; the notebooks
are two-cell stand-ins and the renderer writes a small file per format, so that these
tests check the runner, not the reports (those have their own tests).
"""

import json
import re
from argparse import Namespace
from dataclasses import replace
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from chiso.errors import ChisoError
from chiso.outputs import OutputError
from chiso.paths import RunFolder
from chiso.report import excel, fingerprints, runner, site, text
from chiso.paths import DATA_DIR_NAME, META_NAME
from chiso.report.data import PUBLIC_TABLES
from chiso.report.fingerprints import data_files
from chiso.report.pool import WarmPool, render_tasks
from chiso.report.request import ReportRequest
from chiso.report.runner import build_reports
from chiso.report.tasks import RenderTask, pending_tasks
from tiny_report import tiny_report_data

RENDERER = "test_pipeline:fake_render"  # resolved by name in the worker processes
FAILING_UNIT = "D4"
REPORT_CODE = f"""\
import json, os, pathlib
meta = json.loads((pathlib.Path(data_dir) / "meta.json").read_text(encoding="utf-8"))
if unit == {FAILING_UNIT!r}:
    raise ValueError("no data for " + unit)
pathlib.Path("scratch.txt").write_text(unit)  # an intermediate file, in the working folder
print(json.dumps({{"unit": unit, "edition": edition, "period": meta["period"], "cwd": os.getcwd()}}))
"""


def fake_render(ipynb_path, out_dir, stem, formats=("html", "pdf"), title=None, banner=None, engine="auto"):
    """Stand-in for chiso.report.render.render_notebook: each file holds what the report would show."""
    nb = nbformat.read(ipynb_path, as_version=4)
    printed = json.loads("".join(o["text"] for o in nb.cells[-1].outputs if o["output_type"] == "stream"))
    content = json.dumps({"title": title, "banner": banner, "printed": printed}, ensure_ascii=False)
    targets = {fmt: Path(out_dir) / f"{stem}.{fmt}" for fmt in formats}
    for path in targets.values():
        path.write_text(content, encoding="utf-8")
    return targets


def write_notebook(path: Path) -> Path:
    parameters = new_code_cell('unit = ""\ndata_dir = ""\nedition = "public"', metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[parameters, new_code_cell(REPORT_CODE)],
                      metadata={"kernelspec": {"name": "chiso", "language": "python", "display_name": "chiso"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def notebooks_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    write_notebook(folder / runner.UNIT_NOTEBOOK)
    write_notebook(folder / runner.SUMMARY_NOTEBOOK)
    return folder


def fake_build_report_data(source, period, methodology, out_dir, scale="small", edition="public", geo=None,
                           generated_at=None, dossiers=None):
    """Stand-in for chiso.report.data.build_report_data: the tiny province, written to _data."""
    rd = tiny_report_data(edition=edition)
    data_dir = Path(out_dir) / DATA_DIR_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in PUBLIC_TABLES:
        getattr(rd, name).to_parquet(data_dir / f"{name}.parquet", index=False)
    # A new build time on every build, as the real one: it must not defeat "skip unchanged".
    meta = {**rd.meta, "generated_at": pd.Timestamp.now().isoformat()}
    (data_dir / META_NAME).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return rd


def fake_write_excel(rd, path):
    Path(path).write_bytes(b"xlsx")
    return Path(path)


def fake_write_site(rd, folder, reports):
    """Stand-in for chiso.report.site.write_site: the page lists the reports it links."""
    folder.site.write_text(json.dumps(reports, sort_keys=True), encoding="utf-8")
    return folder.site


@pytest.fixture(scope="module")
def patched():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("chiso.report.data.build_report_data", fake_build_report_data)
        mp.setattr(excel, "write_excel", fake_write_excel)
        mp.setattr(site, "write_site", fake_write_site)
        yield mp


@pytest.fixture(scope="module")
def pool():
    """Two warm workers shared by this module's runs (starting workers takes seconds)."""
    with WarmPool(2, preload=(), renderers=[RENDERER]) as warm:
        yield warm


@pytest.fixture(scope="module")
def runs(tmp_path_factory, notebooks_dir, patched, pool):
    """Two runs of the whole tiny province (7 units + summary) in the same folder, 2 workers."""
    request = ReportRequest(year=2026, quarter=2, jobs=2, out=tmp_path_factory.mktemp("reports"))
    first = build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    first_manifest = json.loads(RunFolder(first.run_dir).manifest.read_text(encoding="utf-8"))
    second = build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    return first, first_manifest, second


def statuses(summary) -> dict[str, str]:
    return {r.name: r.status for r in summary.results}


def test_every_unit_renders_in_its_own_working_folder(runs):
    first, _, _ = runs
    run_dir = first.run_dir
    assert run_dir.name == "2026-Q2"
    rendered = [r for r in first.results if r.status == "rendered"]
    assert {r.name for r in rendered} == {"tong-hop", "P", "D1", "D2", "D3", "C1", "C2"}
    folder = RunFolder(run_dir)
    for result in rendered:
        work_dir = run_dir / "_work" / result.name
        report = json.loads(folder.report(result.name, "html").read_text(encoding="utf-8"))
        assert report["printed"]["cwd"] == str(work_dir)                     # ran in its own folder
        assert (work_dir / "scratch.txt").read_text() == ("" if result.name == "tong-hop" else result.name)
        assert result.notebook == work_dir / f"{result.name}.ipynb" and result.notebook.is_file()
        out_dir = run_dir if result.name == "tong-hop" else run_dir / "don-vi"   # summary on top, units below
        assert result.outputs == {"html": out_dir / f"{result.name}.html", "pdf": out_dir / f"{result.name}.pdf"}
        assert report["printed"]["period"] == "2026-Q2" and report["printed"]["edition"] == "public"


def test_titles_and_sample_banner_come_from_the_report_data(runs):
    run_dir = runs[0].run_dir
    d1 = json.loads((run_dir / "don-vi" / "D1.html").read_text(encoding="utf-8"))
    summary = json.loads((run_dir / "tong-hop.html").read_text(encoding="utf-8"))
    rd = tiny_report_data()
    assert d1["title"] == text.report_title(rd, "D1")
    assert summary["title"] == text.report_title(rd)
    assert d1["banner"] == text.SAMPLE_BANNER                                # tiny data is sample data


def test_a_failing_unit_does_not_stop_the_others_and_is_listed_with_its_notebook(runs):
    first, _, _ = runs
    assert statuses(first)[FAILING_UNIT] == "failed"
    failed = first.failed
    assert [r.name for r in failed] == [FAILING_UNIT]
    assert failed[0].error == "ValueError: no data for D4"
    assert failed[0].notebook == first.run_dir / "_work" / FAILING_UNIT / f"{FAILING_UNIT}.ipynb"
    assert "no data for D4" in failed[0].notebook.read_text(encoding="utf-8")  # traceback kept
    assert not (first.run_dir / "don-vi" / f"{FAILING_UNIT}.html").exists()
    text = first.text()
    assert "8 reports — 7 rendered, 0 unchanged, 1 failed" in text
    assert "ValueError: no data for D4" in text and str(failed[0].notebook) in text
    assert "rendered because: missing notebook, html, pdf (8)" in text


def test_second_run_skips_unchanged_units_and_retries_the_failed_one(runs):
    _, _, second = runs
    assert statuses(second) == {name: ("failed" if name == FAILING_UNIT else "skipped")
                                for name in statuses(second)}, second.text()  # the reasons, if not
    assert len(second.results) == 8


def test_manifest_records_parameters_inputs_versions_and_outputs(runs):
    _, manifest, _ = runs
    assert manifest["parameters"]["year"] == 2026 and manifest["parameters"]["quarter"] == 2
    assert manifest["parameters"]["formats"] == ["html", "pdf"] and manifest["jobs"] == 2
    assert manifest["period"] == {"code": "2026-Q2", "label": "Quý 2/2026"}
    assert manifest["source"]["kind"] == "sample" and manifest["source"]["is_sample"] is True
    assert manifest["methodology"]["id"] == "qd766-2022" and re.fullmatch(r"[0-9a-f]{64}",
                                                                          manifest["methodology"]["sha256"])
    assert manifest["inputs"]["fingerprint"] == "0" * 64 and isinstance(manifest["inputs"]["files"], dict)
    assert set(manifest["inputs"]["report_data"]) == {"units.parquet", "indicators.parquet", "groups.parquet",
                                                      "totals.parquet", "meta.json"}
    assert {"python", "chiso", "pandas", "papermill", "pandoc", "typst", "quarto"} <= set(manifest["versions"])
    assert manifest["outputs"] == {"excel": "bang-xep-hang.xlsx", "site": "index.html"}
    assert manifest["totals"] == {"reports": 8, "rendered": 7, "skipped": 0, "failed": 1, "outdated": 0,
                                  "not_built": 0}
    by_name = {u["name"]: u for u in manifest["units"]}
    assert by_name["D1"]["outputs"] == {"html": "don-vi/D1.html", "pdf": "don-vi/D1.pdf"}
    assert by_name["D1"]["notebook"] == "_work/D1/D1.ipynb" and by_name["D1"]["unit_name"] == "Sở A"
    assert by_name["D1"]["status"] == "rendered" and by_name["D1"]["seconds"] > 0
    assert by_name["D4"]["status"] == "failed" and by_name["D4"]["error"] == "ValueError: no data for D4"
    assert by_name["tong-hop"]["level"] == "summary"
    assert manifest["timings"]["started_at"] <= manifest["timings"]["finished_at"]


def test_run_report_exits_1_when_a_unit_failed(runs, monkeypatch, capsys):
    monkeypatch.setattr(runner, "build_reports", lambda request: runs[0])
    args = Namespace(year=2026, quarter=2, source="sample", edition="public", unit=None, jobs=2, scale="small",
                     out=Path("reports"), methodology="qd766-2022", force=False, no_pdf=False, geo=None,
                     generated_at=None)
    assert runner.run_report(args) == 1
    assert "_work/D4/D4.ipynb" in capsys.readouterr().out


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "_data"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"period": "2026-Q2"}), encoding="utf-8")
    return folder


def make_task(tmp_path: Path, notebooks_dir: Path, name: str, formats=("html", "pdf"), **parameters) -> RenderTask:
    return RenderTask(
        name=name, notebook=notebooks_dir / runner.UNIT_NOTEBOOK, work_dir=tmp_path / name, out_dir=tmp_path,
        parameters={"unit": name, "data_dir": "../_data", "edition": "public", **parameters}, formats=formats,
        renderer=RENDERER,
    ).with_key({"data": "v1"})


def test_skip_unchanged_reruns_only_a_changed_parameter_or_a_missing_output(tmp_path, notebooks_dir, data_dir,
                                                                           pool):
    a, b, c = (make_task(tmp_path, notebooks_dir, name) for name in "ABC")
    first = render_tasks([a, b, c], jobs=2, progress=False, pool=pool)
    assert [(r.status, r.reason) for r in first] == [("rendered", "missing notebook, html, pdf")] * 3
    assert pending_tasks([a, b, c]) == {}
    assert [r.status for r in render_tasks([a, b, c], jobs=2, progress=False)] == ["skipped"] * 3  # no worker

    # B: another parameter, and HTML only (--no-pdf); C: its PDF was deleted.
    b_internal = make_task(tmp_path, notebooks_dir, "B", formats=("html",), edition="internal")
    assert b_internal.key != b.key
    (tmp_path / "C.pdf").unlink()
    reasons = {"B": "changed: formats, parameters", "C": "missing pdf"}
    assert pending_tasks([a, b_internal, c]) == reasons
    assert pending_tasks([a, b_internal, c], force=True) == {"A": "forced", **reasons}
    results = render_tasks([a, b_internal, c], jobs=2, progress=False, pool=pool)
    assert [(r.status, r.reason) for r in results] == [("skipped", None), ("rendered", reasons["B"]),
                                                       ("rendered", reasons["C"])]
    assert json.loads((tmp_path / "B.html").read_text())["printed"]["edition"] == "internal"
    assert not (tmp_path / "B.pdf").exists()          # no PDF of the earlier run left beside the new HTML
    assert pending_tasks([a, b_internal, c]) == {}


def test_key_changes_with_every_input(tmp_path, notebooks_dir):
    task = make_task(tmp_path, notebooks_dir, "A")
    assert task.key == make_task(tmp_path, notebooks_dir, "A").key
    assert task.key != task.with_key({"data": "v2"}).key
    assert task.key != make_task(tmp_path, notebooks_dir, "A", formats=("html",)).key
    assert task.key != replace(task, title="other").with_key({"data": "v1"}).key


def test_data_fingerprint_ignores_the_build_time(data_dir):
    before = data_files(data_dir)
    (data_dir / "meta.json").write_text(json.dumps({"period": "2026-Q2", "generated_at": "later"}))
    assert data_files(data_dir) == before
    (data_dir / "meta.json").write_text(json.dumps({"period": "2026-Q3", "generated_at": "later"}))
    assert data_files(data_dir) != before


def test_unknown_unit_is_a_one_line_error(tmp_path, notebooks_dir, patched, pool):
    request = ReportRequest(year=2026, quarter=2, units=("D1", "X9"), out=tmp_path)
    with pytest.raises(ChisoError, match="unit X9 not in the report data"):
        build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)


def test_request_from_the_command_line():
    args = Namespace(year=2026, quarter=3, source="official:x", edition="internal", unit=["D1", "D2"], jobs=None,
                     scale="small", out=Path("out"), methodology="dvcqg-2025", force=True, no_pdf=True,
                     geo=Path("phu-tho.geojson"), generated_at=None)
    request = ReportRequest.from_args(args)
    assert request.run_dir == Path("out/2026-Q3-noibo")          # internal edition: separate tree
    assert request.units == ("D1", "D2") and request.formats == ("html",) and request.workers >= 1
    assert request.geo == Path("phu-tho.geojson")
    assert ReportRequest(year=2026, quarter=2).run_dir == Path("reports/2026-Q2")


@pytest.mark.parametrize("code", ["../evil", "a/b", "..", "_data", "_work", "_stale", "don-vi", "tong-hop"])
def test_a_unit_code_that_cannot_name_a_file_is_refused(tmp_path, code):
    units = pd.DataFrame({"unit": ["D1", code], "name": ["Sở A", "x"], "level": ["department"] * 2})
    with pytest.raises(ChisoError, match="cannot name a report file"):
        runner.select_units(units, None, tmp_path)


def test_input_files_lists_every_file_of_the_source_folder(tmp_path):
    (tmp_path / "2026-Q2").mkdir()
    (tmp_path / "2026-Q2" / "a.json").write_bytes(b"abc")
    (tmp_path / "b.json").write_bytes(b"")
    assert fingerprints.input_files(f"official:{tmp_path}", "small", 2026) == {
        "2026-Q2/a.json": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "b.json": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }


def test_internal_reports_say_so_on_every_page():
    assert runner.report_banner(tiny_report_data(edition="internal")) == \
        f"{site.INTERNAL_BANNER} · {text.SAMPLE_BANNER}"
    assert runner.report_banner(tiny_report_data(sample=False)) is None


def test_a_second_run_on_the_same_folder_is_refused(tmp_path, notebooks_dir, patched, pool):
    fcntl = pytest.importorskip("fcntl")
    request = ReportRequest(year=2026, quarter=2, out=tmp_path)
    request.run_dir.mkdir(parents=True)
    with open(request.folder.lock, "w") as running:
        fcntl.flock(running, fcntl.LOCK_EX)  # as a run in progress holds it
        with pytest.raises(ChisoError, match="another chiso report is writing this folder"):
            build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)


def test_only_reports_built_from_this_runs_data_are_published(tmp_path, notebooks_dir, patched, pool, monkeypatch):
    """The data changes, then only D1 is rebuilt (--unit): the other units' reports were made
    from the old data, so they leave the public tree for _stale/ and the site links none of them;
    a failing unit's earlier report (D4) is not published either."""
    request = ReportRequest(year=2026, quarter=2, jobs=2, out=tmp_path)
    build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    folder = request.folder
    folder.report("D4", "html").write_text("D4 from an earlier run", encoding="utf-8")  # then its re-render fails

    def new_data(*args, **kwargs):
        rd = fake_build_report_data(*args, **kwargs)
        totals = rd.totals.assign(total=rd.totals["total"] - 1)
        totals.to_parquet(Path(args[3]) / DATA_DIR_NAME / "totals.parquet", index=False)
        return rd

    monkeypatch.setattr("chiso.report.data.build_report_data", new_data)
    summary = build_reports(replace(request, units=("D1", "D4")), notebooks_dir=notebooks_dir, renderer=RENDERER,
                            progress=False, pool=pool)
    status = statuses(summary)
    assert status == {"tong-hop": "rendered", "P": "outdated", "D1": "rendered", "D2": "outdated",
                      "D3": "outdated", "D4": "failed", "C1": "outdated", "C2": "outdated"}
    published = sorted(p.name for p in folder.units_dir.iterdir())
    assert published == ["D1.html", "D1.pdf"]
    assert (folder.stale_dir / "don-vi" / "D2.html").is_file()
    assert (folder.work_dir("D4") / "D4.html").read_text(encoding="utf-8") == "D4 from an earlier run"  # kept aside
    assert json.loads(folder.site.read_text(encoding="utf-8")) == {"D1": ["html", "pdf"], "tong-hop": ["html", "pdf"]}
    manifest = json.loads(folder.manifest.read_text(encoding="utf-8"))
    by_name = {u["name"]: u for u in manifest["units"]}
    assert by_name["D2"]["status"] == "outdated" and by_name["D2"]["outputs"] == {}
    assert by_name["D2"]["reason"].startswith("changed: data")
    assert manifest["totals"]["outdated"] == 5
    assert "5 reports of an earlier run were not built from this run's data" in summary.text()

    # Back to the first data: a full run renders what is missing and publishes every unit again.
    monkeypatch.setattr("chiso.report.data.build_report_data", fake_build_report_data)
    again = build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    assert {s for name, s in statuses(again).items() if name != "D4"} == {"rendered"}
    assert len(json.loads(folder.site.read_text(encoding="utf-8"))) == 7


def test_a_unit_run_on_a_new_folder_says_the_others_were_not_built(tmp_path, notebooks_dir, patched, pool):
    """--unit on a folder with no earlier run: nothing was withdrawn, so the summary must not
    claim that earlier reports moved to _stale/; the other units are "not built"."""
    request = ReportRequest(year=2026, quarter=2, out=tmp_path, units=("D1",))
    summary = build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    status = statuses(summary)
    assert status["D1"] == "rendered" and status["tong-hop"] == "rendered"
    assert {s for name, s in status.items() if name not in ("D1", "tong-hop")} == {"not_built"}
    text = summary.text()
    assert "earlier run" not in text and "_stale" not in text
    assert "6 reports were not built (not named by --unit" in text
    assert not request.folder.stale_dir.exists()
    manifest = json.loads(request.folder.manifest.read_text(encoding="utf-8"))
    assert manifest["totals"]["not_built"] == 6 and manifest["totals"]["outdated"] == 0


def test_a_run_whose_data_cannot_be_read_leaves_no_empty_period_folder(tmp_path, notebooks_dir, patched, pool,
                                                                      monkeypatch):
    """An official source without the period's responses stops the run before anything is made:
    no reports/<period>/ is left behind (one that existed before is kept)."""
    def no_responses(*args, **kwargs):
        raise ChisoError("official:x: no responses for 2026-Q2")

    monkeypatch.setattr("chiso.report.data.build_report_data", no_responses)
    request = ReportRequest(year=2026, quarter=2, out=tmp_path)
    with pytest.raises(ChisoError, match="no responses"):
        build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    assert not request.folder.root.exists()
    request.folder.root.mkdir(parents=True)
    (request.folder.root / "keep.txt").write_text("an earlier run", encoding="utf-8")
    with pytest.raises(ChisoError):
        build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    assert (request.folder.root / "keep.txt").is_file()


def test_a_full_disk_still_gives_the_manifest_and_the_summary(tmp_path, notebooks_dir, patched, pool, monkeypatch):
    def disk_full(rd, path):
        raise OutputError(f"{path}: cannot write (No space left on device)")

    monkeypatch.setattr(excel, "write_excel", disk_full)
    request = ReportRequest(year=2026, quarter=2, jobs=2, out=tmp_path, units=("D1",))
    summary = build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
    assert f"not written: {request.folder.excel}: cannot write (No space left on device)" in summary.text()
    manifest = json.loads(request.folder.manifest.read_text(encoding="utf-8"))
    assert manifest["output_errors"] == ["bang-xep-hang.xlsx: cannot write (No space left on device)"]
    assert "excel" not in manifest["outputs"] and request.folder.site.is_file()
    monkeypatch.setattr(runner, "build_reports", lambda request: summary)
    args = Namespace(year=2026, quarter=2, source="sample", edition="public", unit=["D1"], jobs=2, scale="small",
                     out=tmp_path, methodology="qd766-2022", force=False, no_pdf=False, geo=None, generated_at=None)
    assert runner.run_report(args) == 1


def test_forced_rebuilds_with_a_fixed_build_time_are_byte_identical(tmp_path, notebooks_dir, patched, pool):
    """Two --force runs with --generated-at: same manifest (the time fields are the build
    time, no durations), same site and reports."""
    from datetime import datetime, timedelta, timezone

    when = datetime(2026, 7, 5, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    request = ReportRequest(year=2026, quarter=2, jobs=2, out=tmp_path, units=("D1",), force=True,
                            generated_at=when)
    outputs = []
    for _ in range(3):
        build_reports(request, notebooks_dir=notebooks_dir, renderer=RENDERER, progress=False, pool=pool)
        folder = request.folder
        outputs.append({path: path.read_bytes() for path in (folder.manifest, folder.site, folder.report("D1", "html"))})
    assert outputs[1] == outputs[2]                  # the first run's reason is "missing …", then "forced"
    manifest = json.loads(outputs[2][request.folder.manifest])
    assert manifest["timings"]["started_at"] == manifest["timings"]["finished_at"] == "2026-07-05T08:00:00+07:00"
    assert manifest["parameters"]["generated_at"].startswith("2026-07-05")


def test_the_build_time_comes_from_the_option_or_source_date_epoch(monkeypatch):
    from chiso.report.request import build_time

    assert build_time("2026-07-05T08:00", "0").isoformat() == "2026-07-05T08:00:00+07:00"   # the option wins
    assert build_time(None, "1783213200").isoformat() == "2026-07-05T01:00:00+00:00"
    with pytest.raises(ChisoError, match="--generated-at 'yesterday': expected a date and time"):
        build_time("yesterday", None)
    with pytest.raises(ChisoError, match="SOURCE_DATE_EPOCH='soon': expected whole seconds"):
        build_time(None, "soon")



def test_a_300_character_unit_code_is_a_short_one_line_error(tmp_path):
    units = pd.DataFrame({"unit": ["D1", "X" * 300], "name": ["Sở A", "x"], "level": ["department"] * 2})
    with pytest.raises(ChisoError, match=r"unit code 'XXX.*… \(300 characters\)' cannot name a report file") as error:
        runner.select_units(units, None, tmp_path)
    assert len(str(error.value)) < 300
    with pytest.raises(ChisoError, match=r"unit YYY.*… \(2000000 characters\) not in the report data"):
        runner.select_units(units.head(1), ("Y" * 2_000_000,), tmp_path)

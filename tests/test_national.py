"""The province among all provinces (national table) and the official checks, as the reports show them."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from chiso.paths import RunFolder
from chiso.report import national, quality, site
from chiso.report.data import build_report_data
from chiso.results import ResultsStore
from chiso.sources.official import NATIONAL_GROUPS, PROVINCE_LIST
from conftest import DATA, REFERENCE

NATIONAL = DATA / "dvcqg-national-2026"


def table(totals, deltas=None, ids=None):
    ids = ids or [f"p{n}" for n in range(len(totals))]
    return pd.DataFrame({"department_id": ids, "name": [f"Tỉnh {i}" for i in ids], "code": None,
                         "total": totals, "score_delta": deltas if deltas is not None else np.nan,
                         "is_province": [n == 0 for n in range(len(totals))],
                         **{g: np.nan for g in NATIONAL_GROUPS}})


def test_ties_share_the_best_rank():
    ranked = national.national_ranking(table([70.0, 80.0, 80.0, 60.0]))
    assert ranked["rank"].tolist() == [1, 1, 3, 4] and (ranked["rank_of"] == 4).all()


def test_change_published_or_from_the_previous_table():
    # p0: 70 now, 75 before (rank 2 -> 2... before: p1 80, p0 75, p2 60): change -5, rank 2 -> 3
    now = table([70.0, 80.0, 72.0], deltas=[np.nan, 1.5, np.nan])
    before = table([75.0, 80.0, 60.0])
    ranked = national.national_ranking(now, before).set_index("department_id")
    assert ranked.loc["p0", "change"] == -5.0 and ranked.loc["p0", "rank_change"] == -1
    assert ranked.loc["p1", "change"] == 1.5  # published scoreDelta wins
    assert ranked.loc["p2", "rank_change"] == 1


def official_folder(tmp_path, mutate=None):
    folder = tmp_path / "dvcqg" / "2026-Q3"
    shutil.copytree(REFERENCE / "2026-Q3", folder)
    shutil.copy(NATIONAL / "2026-Q3.json", folder / PROVINCE_LIST)
    if mutate:
        mutate(folder)
    return folder.parent


@pytest.fixture
def store(tmp_path):
    return ResultsStore(tmp_path / "results")


def test_official_source_with_the_national_table(tmp_path, store):
    rd = build_report_data(f"official:{official_folder(tmp_path)}", "2026-Q3", "qd766-2022", tmp_path / "run",
                           store=store)
    ranked = national.national_table(rd)
    assert len(ranked) == 34 and ranked["rank"].is_monotonic_increasing
    assert (ranked["rank"].value_counts() > 1).any()  # the table holds a tie
    own = ranked[ranked["is_province"]].iloc[0]
    assert (own["name"], own["total"], own["change"]) == ("UBND tỉnh Phú Thọ", 61.39, 1.47)
    sentence = national.province_position(rd)
    assert sentence == (f"UBND tỉnh Phú Thọ xếp hạng {int(own['rank'])}/34 tỉnh, thành phố "
                        "(61,39 điểm; +1,47 điểm so với kỳ trước)")
    text = "\n".join(b.markdown for b in national.national_blocks(rd)).replace("\\", "")
    assert "Vị trí của tỉnh trong cả nước" in text and "MẪU" not in text and "Công khai, minh bạch (18)" in text
    page = site.write_site(rd, RunFolder(tmp_path / "run"), {}).read_text(encoding="utf-8")
    assert "Xếp hạng toàn quốc" in page and f"{int(own['rank'])}/34" in page and 'id="national"' in page
    assert page.count("<tr class=\"own\">") == 1


def test_without_a_national_table_nothing_is_shown(tmp_path, store):
    rd = build_report_data(f"official:{REFERENCE}", "2026-Q3", "qd766-2022", tmp_path / "run", store=store)
    assert national.national_table(rd) is None and national.national_blocks(rd) == []
    page = site.write_site(rd, RunFolder(tmp_path / "run"), {}).read_text(encoding="utf-8")
    assert "Xếp hạng toàn quốc" not in page


def test_sample_gets_a_sample_national_table(tmp_path, store):
    rd = build_report_data("sample", "2026-Q2", "qd766-2022", tmp_path / "run", store=store)
    ranked = national.national_table(rd)
    assert len(ranked) == 34 and ranked["is_province"].sum() == 1
    own = ranked[ranked["is_province"]].iloc[0]
    totals = rd.current("totals").set_index("level")
    assert own["total"] == pytest.approx(totals.loc["province", "total"], abs=0.011)
    text = "\n".join(b.markdown for b in national.national_blocks(rd)).replace("\\", "")
    assert national.SAMPLE_NOTE.split(":")[0] in text and "(MẪU)" in text
    page = site.write_site(rd, RunFolder(tmp_path / "run"), {}).read_text(encoding="utf-8")
    assert "Xếp hạng toàn quốc (MẪU)" in page


def test_defects_are_shown_in_the_unit_report_and_the_summary(tmp_path, store, capsys):
    def mutate(folder):
        path = folder / "dvc-progress-tree.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["data"]["children"][0]["totalOnTime"] = -4
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        (folder / "handling-satisfaction.json").unlink()

    rd = build_report_data(f"official:{official_folder(tmp_path, mutate)}", "2026-Q3", "qd766-2022",
                           tmp_path / "run", store=store)
    assert ("note: 2026-Q3: 1 of 164 units have sub-indicators (2.1) without data because of defects in the official "
            "responses; missing response: handling-satisfaction (no data for every unit)") in capsys.readouterr().err
    rows = rd.current("indicators")
    bad = rows[(rows["unit"] == "H44.01") & (rows["indicator"] == "2.1")].iloc[0]
    assert bad["status"] == "no_data"
    assert bad["source_note"] == ("Số liệu chính thức không dùng được: dvc-progress-tree.json: "
                                  "field totalOnTime: negative (-4)")
    satisfaction = rows[rows["indicator"] == "5.3"]
    assert (satisfaction["status"] == "no_data").all()
    text = "\n".join(b.markdown for b in quality.official_check_blocks(rd))
    assert "1 đơn vị có chỉ số thành phần bị loại" in text
    assert "Mọi đơn vị: 5.1, 5.2, 5.3 chưa có số liệu — no handling-satisfaction response" in text.replace("\\", "")

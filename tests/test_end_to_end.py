"""End to end, as a user runs it: a small sample province in the data contract ->
`chiso report` (real notebooks, warm kernels, pandoc/typst) -> what gets published.

Checks the issue's acceptance points on real outputs: the PDF text holds the Vietnamese
unit names exactly; HTML has no external URL; no public output (HTML, PDF, Excel, site,
executed notebooks, the run's data) holds an official's code (MaCanBo) or any personal
data of the input; the internal edition, written to its own tree, does hold the drill-down.
"""

import json
import re
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pypdf
import pytest

from chiso.cli import main
from chiso.sources.sample import write_sample

UNITS = ["S99.02", "S99.101"]  # a department and a commune of the sample province


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    write_sample(data, year=2026, scale=0.02, seed=7)
    out = root / "reports"
    for edition in ("public", "internal"):
        argv = ["report", "--quarter", "2", "--source", f"dossiers:{data}", "--edition", edition,
                "--out", str(out), "--jobs", "2"]
        for unit in UNITS:
            argv += ["--unit", unit]
        assert main(argv) == 0
    return data, out / "2026-Q2", out / "2026-Q2-noibo"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def pdf_text(path: Path) -> str:
    return nfc("\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages))


def public_texts(run: Path):
    """(path, text) of every published file of a run."""
    for path in sorted(run.rglob("*")):
        if path.suffix in (".html", ".ipynb", ".json"):
            yield path, nfc(path.read_text(encoding="utf-8"))
        elif path.suffix == ".pdf":
            yield path, pdf_text(path)
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            cells = (str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
            yield path, nfc("\n".join(cells))
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            yield path, nfc(frame.astype(str).to_csv(index=False))


def test_every_output_is_there(runs):
    _, public, _ = runs
    for unit in UNITS:
        assert (public / "don-vi" / f"{unit}.html").is_file() and (public / "don-vi" / f"{unit}.pdf").is_file()
        assert (public / "_work" / unit / f"{unit}.ipynb").is_file()
    for name in ("tong-hop.html", "tong-hop.pdf", "bang-xep-hang.xlsx", "index.html", "manifest.json"):
        assert (public / name).is_file(), name
    manifest = json.loads((public / "manifest.json").read_text(encoding="utf-8"))
    assert {"S99.02", "S99.101"} <= set(json.dumps(manifest).split('"'))


def test_pdf_holds_the_vietnamese_unit_names_exactly(runs):
    data, public, _ = runs
    names = pd.read_parquet(data / "donvi.parquet").set_index("MaDonVi")["TenDonVi"]
    for unit in UNITS:
        assert nfc(names[unit]) in pdf_text(public / "don-vi" / f"{unit}.pdf"), unit


def test_sample_is_labelled_on_every_pdf_page(runs):
    _, public, _ = runs
    for pdf in public.rglob("*.pdf"):
        for page in pypdf.PdfReader(pdf).pages:
            assert "DỮ LIỆU MẪU" in nfc(page.extract_text()), pdf.name


def test_html_has_no_external_url(runs):
    _, public, _ = runs
    for page in public.rglob("*.html"):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.read_text(encoding="utf-8"), re.I), page


def leaked(text: str, secrets: set[str]) -> set[str]:
    """Secrets found in text: officials' codes, ID and phone numbers as tokens, names as word runs."""
    tokens = set(re.findall(r"(?<![\w])[A-Z]{2}\d{3,}(?![\w])", text))
    tokens |= set(re.findall(r"(?<!\d)\d{9,12}(?!\d)", text))
    words = re.findall(r"\w+", text)
    for n in (2, 3, 4, 5):
        tokens |= {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}
    return tokens & secrets


def test_no_personal_data_or_official_in_public_outputs(runs):
    data, public, internal = runs
    hoso = pd.read_parquet(data / "hoso.parquet")
    events = pd.read_parquet(data / "hoso_su_kien.parquet")
    officials = {nfc(s) for s in events["MaCanBo"].dropna()}
    personal = set()
    for column in ("HoTenNguoiNop", "SoCCCD", "SoDienThoai"):
        personal |= {nfc(s) for s in hoso[column].dropna()}
    assert len(officials) > 100 and len(personal) > 1000
    checked = 0
    for path, text in public_texts(public):
        assert not leaked(text, officials | personal), f"{path} leaks {sorted(leaked(text, officials | personal))[:5]}"
        checked += 1
    assert checked > 10
    # The internal edition is where officials appear (and only there).
    assert any(leaked(text, officials) for path, text in public_texts(internal) if path.suffix == ".html")


def test_the_sample_province_has_its_fictional_map(runs):
    """The summary and the site show the sample's generated map, labelled fictional; a
    commune's report has its locator map, a department's none."""
    data, public, _ = runs
    communes = (pd.read_parquet(data / "donvi.parquet")["Cap"] == "XA").sum()
    for page in (public / "tong-hop.html", public / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert text.count("<use ") == 6 * communes, page  # every commune on each of the six panels
        assert "Bản đồ hư cấu của tỉnh mẫu" in text, page
    assert "không phải ranh giới thật" in pdf_text(public / "tong-hop.pdf")
    assert 'class="chiso-locator"' in (public / "don-vi" / "S99.101.html").read_text(encoding="utf-8")
    assert "chiso-locator" not in (public / "don-vi" / "S99.02.html").read_text(encoding="utf-8")


def test_the_run_folder_names_no_folder_of_the_machine(runs):
    """The manifest and the executed notebooks say where things are relative to the run or
    the project, never by an absolute path (the data folder here is a temporary folder)."""
    from chiso.paths import PROJECT_ROOT

    data, public, _ = runs
    checked = [public / "manifest.json", *sorted(public.glob("_work/*/*.ipynb"))]
    assert len(checked) >= 3
    for path in checked:
        text = path.read_text(encoding="utf-8")
        assert str(PROJECT_ROOT) not in text and str(data.parent) not in text, path


def test_appraisal_evidence_only_in_the_internal_tree(runs):
    data, public, internal = runs
    events = pd.read_parquet(data / "hoso_su_kien.parquet")
    officials = {nfc(s) for s in events["MaCanBo"].dropna()}
    texts = dict(public_texts(internal))
    for name in ("danh-gia-can-bo.xlsx", "danh-gia-don-vi.xlsx"):
        assert (internal / name).is_file() and not list(public.rglob(name)), name
        first = openpyxl.load_workbook(internal / name, read_only=True).worksheets[0]
        assert "Nghị định 13/2023/NĐ-CP" in " ".join(str(c) for row in first.iter_rows(values_only=True) for c in row if c)
    assert leaked(texts[internal / "danh-gia-can-bo.xlsx"], officials)  # the officials are in it, internally
    assert not list(public.rglob("appraisal_*.parquet"))

"""The static site of a run: ``<run>/site/index.html``, one page listing every unit.

For each unit: rank among its level, name, code, level, total, band and change since
the previous quarter, with links to its report (``../<code>.html`` / ``.pdf``, only
where the file exists), plus the province summary and the Excel ranking. A search
box (diacritics-insensitive: "so tu phap" finds "Sở Tư pháp") and level / band
filters run as inline JavaScript. Where the province has a map, the enforcement map
(:mod:`chiso.report.choropleth`: communes coloured by score, a tab per group, CSS only)
comes before the list.

The page is self-contained and offline: inline CSS and JS, no font, script or image
from anywhere else, no external URL. Every value is HTML-escaped (Jinja2 autoescape);
link targets are percent-encoded. Sample data gets a banner that stays in view.

Example
-------
>>> write_site(load_report_data("reports/2026-Q2/_data"), Path("reports/2026-Q2"))  # doctest: +SKIP
PosixPath('reports/2026-Q2/site/index.html')
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from chiso import formatting as fmt
from chiso.report.choropleth import choropleth_html
from chiso.report.colours import ink_on
from chiso.report.data import ReportData
from chiso.report.province_tables import ranking_table
from chiso.report.tables import LEVEL_NAMES, ranked_levels
from chiso.report.text import SAMPLE_BANNER, cutoff_text, data_coverage

SITE_DIR = "site"
SUMMARY_STEM = "tong-hop"
EXCEL_NAME = "bang-xep-hang.xlsx"
INTERNAL_BANNER = "BẢN NỘI BỘ — phục vụ đánh giá cán bộ, không công bố"


def search_key(text: str) -> str:
    """Lower case without diacritics, for the search box ("Sở Tư pháp" → "so tu phap").

    >>> search_key("Xã Đồng Hỷ")
    'xa dong hy'
    """
    return fmt.fold_diacritics(text).lower()


def _links(run_dir: Path, stem: str) -> list[dict]:
    """Links to the existing HTML / PDF files of one report, relative to the site folder."""
    return [
        {"label": kind.upper(), "href": f"../{quote(stem)}.{kind}"}
        for kind in ("html", "pdf")
        if (run_dir / f"{stem}.{kind}").is_file()
    ]


def site_rows(rd: ReportData, run_dir: Path) -> list[dict]:
    """One dict per unit (all levels but the province, by level then rank) for the page."""
    bands = {b["name"]: b["color"] for b in rd.meta["bands"]}
    rows = []
    for level in ranked_levels(rd):
        for r in ranking_table(rd, level).itertuples(index=False):
            code, name, total, band = r[1], r[2], r[3], r[4]
            rows.append({
                "rank": fmt.integer(r[0]),
                "code": code,
                "name": name,
                "level": level,
                "level_name": LEVEL_NAMES[level],
                "total": fmt.number(total),
                "band": band if not fmt.is_missing(band) else "Chưa có số liệu",
                "band_colour": bands.get(band, "#d0d7de"),
                "band_ink": ink_on(bands.get(band, "#d0d7de")),
                "change": fmt.signed(r[5]),
                "trend": "up" if r[5] > 0 else "down" if r[5] < 0 else "",
                "search": search_key(f"{name} {code}"),
                "links": _links(run_dir, code),
            })
    return rows


def write_site(rd: ReportData, run_dir: Path) -> Path:
    """Write ``run_dir/site/index.html`` and return its path."""
    run_dir = Path(run_dir)
    out = run_dir / SITE_DIR / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    province = rd.current("totals").query("level == 'province'")
    page = _TEMPLATE.render(
        title=" — ".join(filter(None, ["Bộ chỉ số phục vụ người dân, doanh nghiệp", rd.meta["province"],
                                       rd.meta["period_label"]])),
        meta=rd.meta,
        banner=SAMPLE_BANNER if rd.is_sample else None,
        internal=INTERNAL_BANNER if rd.internal else None,
        generated=fmt.date_time(rd.meta["generated_at"][:19]),
        province_total=fmt.number(province["total"].iloc[0]) if len(province) else None,
        province_band=province["band"].iloc[0] if len(province) else None,
        province_links=_links(run_dir, province["unit"].iloc[0]) if len(province) else [],
        summary_links=_links(run_dir, SUMMARY_STEM),
        excel=f"../{EXCEL_NAME}" if (run_dir / EXCEL_NAME).is_file() else None,
        rows=site_rows(rd, run_dir),
        levels=[(lv, LEVEL_NAMES[lv]) for lv in ranked_levels(rd)],
        bands=[b["name"] for b in rd.meta["bands"]],
        coverage=data_coverage(rd),
        map=Markup(choropleth_html(rd, link_prefix="../",
                                   linked={code for code in rd.current("totals")["unit"]
                                           if (run_dir / f"{code}.html").is_file()})),
        cutoff=cutoff_text(rd.meta),
    )
    out.write_text(page, encoding="utf-8")
    return out


_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chiso {{ meta.chiso_version }}">
<title>{{ title }}</title>
<style>
:root { --ink: #1f2328; --muted: #59636e; --rule: #d0d7de; --accent: #1f4e79; --bg: #f6f8fa; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Noto Sans", "Segoe UI", Arial, sans-serif; font-size: 15px;
       line-height: 1.5; color: var(--ink); background: #fff; }
body { margin: 0; }
.banner { position: sticky; top: 0; z-index: 10; padding: .5rem 1rem; text-align: center; font-weight: bold;
          background: #fff4e5; color: #8a3b00; border-bottom: 2px solid #8a3b00; }
.banner.internal { background: #fde8e8; color: #8b1a1a; border-color: #8b1a1a; }
header { background: var(--accent); color: #fff; padding: 1.4rem 1.5rem 1.2rem; }
header > div { max-width: 69rem; margin: 0 auto; }
header h1 { margin: 0 0 .3rem; font-size: 1.45rem; line-height: 1.3; }
header p { margin: .15rem 0; color: #dbe7f3; font-size: .92rem; }
header a { color: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .5rem 0 1.2rem; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: .7rem 1rem; background: var(--bg); min-width: 12rem; }
.card .label { color: var(--muted); font-size: .82rem; }
.card .value { font-size: 1.35rem; font-weight: bold; }
.card a { margin-right: .6rem; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: 1rem 0 .6rem; }
.filters input, .filters select { font: inherit; padding: .35rem .55rem; border: 1px solid var(--rule); border-radius: 4px; }
.filters input { flex: 1 1 18rem; }
#count { color: var(--muted); font-size: .9rem; }
table { width: 100%; border-collapse: collapse; font-size: .92rem; font-variant-numeric: tabular-nums; }
th, td { padding: .4rem .55rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: middle; }
thead th { position: sticky; top: 0; background: var(--bg); border-bottom: 2px solid var(--rule); }
.banner ~ main thead th { top: 2.3rem; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:hover { background: #f3f7fb; }
.badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-size: .82rem; font-weight: bold; white-space: nowrap; }
.up { color: #1a7f37; } .down { color: #b42318; }
.code { color: var(--muted); font-size: .85rem; white-space: nowrap; }
td.links a { margin-right: .5rem; white-space: nowrap; }
.none { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; overflow-wrap: anywhere; }
@media (max-width: 640px) { .hide-narrow { display: none; } }
</style>
</head>
<body>
{% if banner %}<div class="banner" role="note">{{ banner }}</div>{% endif %}
{% if internal %}<div class="banner internal" role="note">{{ internal }}</div>{% endif %}
<header><div>
<h1>{{ title }}</h1>
<p>Kỳ đánh giá: {{ meta.period_label }} ({{ meta.period_start }} – {{ meta.period_end }}); số liệu tính đến {{ cutoff }}</p>
<p>Nguồn số liệu: {{ meta.source_label }}</p>
<p>Phương pháp: {{ meta.methodology_title }} ({{ meta.methodology_id }}, phiên bản {{ meta.methodology_version }})</p>
{% if coverage %}<p><strong>Lưu ý về số liệu:</strong> {{ coverage }}</p>{% endif %}
</div></header>
<main>
<div class="cards">
{% if province_total %}
<div class="card"><div class="label">Tổng điểm toàn tỉnh</div><div class="value">{{ province_total }}/100</div>
<div>{{ province_band }}{% for link in province_links %} · <a href="{{ link.href }}">{{ link.label }}</a>{% endfor %}</div></div>
{% endif %}
<div class="card"><div class="label">Báo cáo tổng hợp toàn tỉnh</div>
{% for link in summary_links %}<a href="{{ link.href }}">{{ link.label }}</a>{% else %}<span class="none">chưa có</span>{% endfor %}
</div>
<div class="card"><div class="label">Bảng xếp hạng (Excel)</div>
{% if excel %}<a href="{{ excel }}">Tải về bang-xep-hang.xlsx</a>{% else %}<span class="none">chưa có</span>{% endif %}
</div>
</div>
{% if map %}
<section aria-label="Bản đồ thực thi"><h2>Bản đồ thực thi</h2>
{{ map }}
</section>
{% endif %}
<div class="filters" role="search">
<input id="q" type="search" placeholder="Tìm theo tên hoặc mã đơn vị…" aria-label="Tìm đơn vị">
<select id="level" aria-label="Cấp"><option value="">Mọi cấp</option>
{% for code, name in levels %}<option value="{{ code }}">{{ name }}</option>{% endfor %}
</select>
<select id="band" aria-label="Xếp loại"><option value="">Mọi xếp loại</option>
{% for band in bands %}<option>{{ band }}</option>{% endfor %}
</select>
<span id="count" aria-live="polite"></span>
</div>
<table>
<thead><tr><th class="num">Hạng</th><th>Đơn vị</th><th class="hide-narrow">Cấp</th><th class="num">Tổng điểm</th>
<th>Xếp loại</th><th class="num hide-narrow">So với kỳ trước</th><th>Báo cáo</th></tr></thead>
<tbody>
{% for r in rows %}
<tr data-search="{{ r.search }}" data-level="{{ r.level }}" data-band="{{ r.band }}">
<td class="num">{{ r.rank }}</td>
<td>{{ r.name }} <span class="code">{{ r.code }}</span></td>
<td class="hide-narrow">{{ r.level_name }}</td>
<td class="num"><strong>{{ r.total }}</strong></td>
<td><span class="badge" style="background:{{ r.band_colour }};color:{{ r.band_ink }}">{{ r.band }}</span></td>
<td class="num hide-narrow {{ r.trend }}">{{ r.change }}</td>
<td class="links">{% for link in r.links %}<a href="{{ link.href }}">{{ link.label }}</a>{% else %}<span class="none">—</span>{% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
<footer>
<p>Hạng tính trong từng cấp (sở, ban, ngành; xã, phường); các đơn vị bằng điểm cùng hạng.
Thay đổi so với kỳ trước tính bằng điểm.</p>
<p>Lập lúc {{ generated }} · Mã kiểm tra dữ liệu đầu vào (SHA-256): {{ meta.input_fingerprint }} · chiso {{ meta.chiso_version }}</p>
</footer>
</main>
<script>
(function () {
  var q = document.getElementById("q"), level = document.getElementById("level"),
      band = document.getElementById("band"), count = document.getElementById("count"),
      rows = Array.prototype.slice.call(document.querySelectorAll("tbody tr"));
  function key(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
               .replace(/[\\u0300-\\u036f]/g, "").toLowerCase().trim();
  }
  function update() {
    var words = key(q.value).split(/\\s+/).filter(Boolean), shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
               (!level.value || row.getAttribute("data-level") === level.value) &&
               (!band.value || row.getAttribute("data-band") === band.value);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = "Đang hiển thị " + shown + "/" + rows.length + " đơn vị";
  }
  [q, level, band].forEach(function (el) { el.addEventListener("input", update); });
  update();
}());
</script>
</body>
</html>
""")

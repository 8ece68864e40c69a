"""The report an official prints: headline first page, A4 print layout and PDF, Word file.

On the small Hubin data committed in tests/data (one run, module-scoped). The PDF and the
print layout need headless Chromium (Debian packages chromium, chromium-driver; network
refused, see browser_support.py); the rest runs anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import docx
import osmium
import pytest
from browser_support import browser  # noqa: F401  (fixture)
from cli_support import run_cli
from conftest import missing

from accessibility.briefing import headline, i18n, printing, report
from accessibility.core import palette

OSM = "hangzhou_hubin.osm.pbf"
TITLE = "湖滨街道（测试）"
A4_PT = (595.0, 842.0)
MM_PX = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture(scope="module")
def hubin(small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run on the Hubin clip with the rasters and the care-home list, and its reports (zh with --title, en without)."""
    base = tmp_path_factory.mktemp("report_print")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
        out = base / "run"
        code, _, err = run_cli(
            "run", "--osm", small_data / OSM, "--population", small_data / "hangzhou_hubin_pop_3arcsec.tif",
            "--older-population", small_data / "hangzhou_hubin_older_3arcsec.tif", "--facilities", small_data / "hubin_elderly_care_gcj02.xlsx",
            "--service", "elderly_care", "--facilities-crs", "gcj02", "--no-briefing", "--out", out,
        )
        assert code == 0, err
        for argv in (("--lang", "zh", "--title", TITLE), ("--lang", "en")):
            code, stdout, err = run_cli("report", out, *argv)
            assert code == 0, err
            assert "report_" in stdout and ".docx" in stdout
    return out


def goals_of(run: Path) -> list[dict]:
    return json.loads((run / "goals.json").read_text(encoding="utf-8"))["goals"]


class _Headline(HTMLParser):
    """The headline's goal lines: (data-goal, data-status, badge text, figures text, caveat text)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []
        self.h1: list[str] = []
        self._field: str | None = None
        self.order: list[str] = []  # headline / page-break / table, in document order

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "li" and "hl-goal" in cls:
            self.lines.append({"goal": a["data-goal"], "status": a["data-status"], "badge": "", "figures": "", "caveat": "", "badge_class": ""})
        elif tag == "span" and self.lines and cls.startswith("hl-"):
            self._field = cls.split()[0][3:]
            if self._field == "badge":
                self.lines[-1]["badge_class"] = cls
        elif tag == "h1":
            self._field = "h1"
        if tag == "header" and "headline" in cls:
            self.order.append("headline")
        elif tag == "div" and cls == "page-break":
            self.order.append("page-break")
        elif tag in ("table", "figure"):
            self.order.append(tag)

    def handle_data(self, data):
        if self._field == "h1":
            self.h1.append(data)
        elif self._field in ("badge", "figures", "caveat"):
            self.lines[-1][self._field] += data

    def handle_endtag(self, tag):
        if tag in ("span", "h1"):
            self._field = None


def parse_headline(path: Path) -> _Headline:
    p = _Headline()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# --------------------------------------------------------------------------- headline


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headline_has_place_dates_and_one_badge_per_goal(hubin, small_data, lang):
    page = parse_headline(hubin / f"report_{lang}.html")
    assert "".join(page.h1) == (TITLE if lang == "zh" else "hangzhou_hubin")  # --title, else the OSM file's stem
    # first the headline and the map picture, then a page break, then the details (the summary table)
    assert page.order[:3] == ["headline", "figure", "page-break"] and page.order[3] == "table"
    goals = goals_of(hubin)
    assert [ln["goal"] for ln in page.lines] == [g["id"] for g in goals]
    for ln, g in zip(page.lines, goals, strict=True):
        assert ln["status"] == g["status"] and f"hl-{g['status']}" in ln["badge_class"]
        assert ln["badge"] == i18n.text(f"badge_{g['status']}", lang)
        share, target = f"{g['share']:.1%}", f"{g['targets'][0]['share']:.1%}"
        assert share in ln["figures"] and target in ln["figures"]
        assert ln["caveat"] == ((g.get("main_caveat") or {}).get(lang) or "")
    # the care homes cover 42% of the older people, short of the 100% target: a FAIL badge
    care = next(ln for ln in page.lines if ln["goal"] == "elderly_care_1km")
    assert care["status"] == "fail" and care["badge"] == i18n.text("badge_fail", lang)
    text = (hubin / f"report_{lang}.html").read_text(encoding="utf-8")
    # the street data carries no header timestamp: its date is the file's modification date (UTC); the run's is goals.json's
    day = datetime.fromtimestamp((small_data / OSM).stat().st_mtime, tz=UTC).date().isoformat()
    assert i18n.text("hl_data_date", lang, date=day) in text
    run_day = datetime.fromtimestamp((hubin / "goals.json").stat().st_mtime, tz=UTC).date().isoformat()
    assert i18n.text("hl_run_date", lang, date=run_day) in text
    assert "hubin_elderly_care_gcj02.xlsx" in text and i18n.text("hl_osm", lang) in text
    md = (hubin / f"report_{lang}.md").read_text(encoding="utf-8")
    assert f"- **{i18n.text('badge_fail', lang)}** " in md and f"![{i18n.text('map_section', lang)}](map_{lang}.png)" in md


def test_badge_colours_are_the_palettes(hubin):
    css = (hubin / "report_en.html").read_text(encoding="utf-8")
    for status, colour in palette.load().verdict_colors.items():
        assert f".hl-{status}{{background:{colour}}}" in css
    assert re.search(r"\.hl-badge\{[^}]*white-space:nowrap", css)


def _run_data(manifest: dict, districts: list[str] | None = None) -> SimpleNamespace:
    import geopandas as gpd

    frame = None if districts is None else gpd.GeoDataFrame({"district_name": districts}, geometry=[None] * len(districts))
    return SimpleNamespace(manifest=manifest, districts=frame)


def test_place_name_in_order_of_preference():
    osm = {"osm": {"path": "/data/hangzhou_china.osm.pbf"}}
    boundary = {**osm, "boundary": {"path": "/data/xihu_boundary.geojson"}}
    assert headline.place_name(_run_data({"inputs": osm}), title="  西湖区  ") == "西湖区"  # type: ignore[arg-type]
    assert headline.place_name(_run_data({"inputs": osm, "place": "湖滨街道, 杭州市"})) == "湖滨街道, 杭州市"  # type: ignore[arg-type]
    assert headline.place_name(_run_data({"inputs": boundary}, ["西湖区"])) == "西湖区"  # type: ignore[arg-type]
    assert headline.place_name(_run_data({"inputs": boundary}, ["西湖区", "上城区"])) == "xihu_boundary"  # type: ignore[arg-type]
    in_memory = {**osm, "boundary": {"path": "<boundary GeoDataFrame, 1 row>", "in_memory": True}}
    assert headline.place_name(_run_data({"inputs": in_memory})) == "hangzhou_china"  # type: ignore[arg-type]
    assert headline.place_name(_run_data({"osm": "/x/wuhan.osm.bz2"})) == "wuhan"  # type: ignore[arg-type]
    assert headline.place_name(_run_data({})) == ""  # type: ignore[arg-type]


def test_data_date_from_the_osm_header(tmp_path):
    """A PBF whose header carries a replication timestamp is dated by it, not by the file's age."""
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2017-03-01T21:42:02Z")
    path = tmp_path / "dated.osm.pbf"
    writer = osmium.SimpleWriter(str(path), header=header)
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(120.16, 30.26)))
    writer.close()
    data = SimpleNamespace(manifest={"inputs": {"osm": {"path": str(path)}}})
    assert headline.data_date(data) == "2017-03-01"  # type: ignore[arg-type]
    assert headline.data_date(SimpleNamespace(manifest={"inputs": {"osm": {"path": str(tmp_path / "gone.osm.pbf")}}})) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Word


def test_docx_has_the_headline_table_map_and_goal_sections(hubin, tmp_path):
    goals = goals_of(hubin)
    doc = docx.Document(str(hubin / "report_zh.docx"))
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [i18n.text(k, "zh") for k in ("goal", "share", "target", "hl_status", "hl_caveat")]
    assert len(table.rows) == len(goals) + 1
    colours = palette.load().verdict_colors
    for row, g in zip(table.rows[1:], goals, strict=True):
        cells = [c.text for c in row.cells]
        assert cells[0] == g["name_zh"] and cells[1] == f"{g['share']:.1%}" and cells[3] == i18n.text(f"badge_{g['status']}", "zh")
        fill = row.cells[3]._tc.tcPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd")
        assert fill.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fill") == colours[g["status"]].lstrip("#").upper()
    assert len(doc.inline_shapes) >= 2  # the map picture and the coverage curves
    assert doc.paragraphs[1].text == TITLE or any(p.text == TITLE for p in doc.paragraphs[:3])
    headings = {p.text for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert all(f"{g['name_zh']} ({g['id']})" in headings for g in goals)
    # the same run gives the same bytes (no clock in the file)
    again = report.write_report(hubin, lang="zh", out_dir=tmp_path, map_png=True, title=TITLE)
    assert again.docx is not None
    assert hashlib.sha256(again.docx.read_bytes()).digest() == hashlib.sha256((hubin / "report_zh.docx").read_bytes()).digest()


def test_docx_district_table(hubin, tmp_path):
    """Per-district rows of a goal (as goals.json gives them for a run with districts) become a table of the Word file."""
    from accessibility.run import folder as runfolder

    run_dir = tmp_path / "run"
    shutil.copytree(hubin, run_dir)
    doc_json = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))
    rows = [
        {"district_id": "330102", "district_name": "上城区", "covered_pop": 300.0, "eligible_pop": 1000.0, "uncovered_pop": 700.0, "share": 0.3,
         "scope": "complete", "data_coverage": 1.0},
        {"district_id": "330106", "district_name": "西湖区", "covered_pop": 50.0, "eligible_pop": 200.0, "uncovered_pop": 150.0, "share": 0.25,
         "scope": "complete", "data_coverage": 1.0},
    ]
    doc_json["goals"][1]["by_district"] = rows
    with runfolder.update(run_dir, command="test") as up:
        up.write_text("goals.json", json.dumps(doc_json, ensure_ascii=False))
    files = report.write_report(run_dir, lang="zh", map_png=False)
    assert files.docx is not None
    doc = docx.Document(str(files.docx))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == i18n.text("district", "zh"))
    assert [[c.text for c in r.cells][:3] for r in table.rows[1:]] == [["上城区", "30.0%", "300"], ["西湖区", "25.0%", "50"]]


# --------------------------------------------------------------------------- print and PDF


def test_pdf_is_a4_and_short(hubin):
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        missing("Chromium and chromedriver", "install the Debian packages chromium and chromium-driver (.ci/run does)")
    code, stdout, err = run_cli("report", hubin, "--lang", "zh", "--title", TITLE, "--pdf", "--no-docx")
    assert code == 0, err
    pdf = hubin / "report_zh.pdf"
    assert str(pdf) in stdout
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = printing.pdf_pages(data)
    assert 2 <= len(pages) <= 10, len(pages)  # the one-page summary, then the details (with the network quality section)
    for w, h in pages:
        assert abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1, (w, h)


def test_missing_chromium_names_the_packages(hubin, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    before = {p.name for p in hubin.iterdir()}
    code, _, err = run_cli("report", hubin, "--lang", "en", "--pdf")
    assert code == 2
    assert "chromium chromium-driver" in err and "Traceback" not in err
    assert {p.name for p in hubin.iterdir()} == before  # nothing written


def test_print_layout_first_page_fits_and_badges_do_not_wrap(browser, hubin):  # noqa: F811
    page = browser.open(hubin / "report_zh.html")
    assert page.external == [] and page.errors == []
    drv = browser.driver
    width_px = round((210 - printing.MARGINS_MM[1] - printing.MARGINS_MM[3]) * MM_PX)
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width_px, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    try:
        # everything before the page break fits on the first A4 page (its height inside the margins)
        first_page_px = (297 - printing.MARGINS_MM[0] - printing.MARGINS_MM[2]) * MM_PX
        bottom = browser.js("return document.querySelector('.page-break').getBoundingClientRect().top + window.scrollY")
        assert 0 < bottom <= first_page_px, (bottom, first_page_px)
        # each badge on one line, with its coloured background
        rects = browser.js("return [...document.querySelectorAll('.hl-badge')].map(b => [b.getClientRects().length, getComputedStyle(b).backgroundColor])")
        assert rects and all(n == 1 for n, _ in rects) and all(bg != "rgba(0, 0, 0, 0)" for _, bg in rects)
        # headings keep with what follows, table rows and figures are not split
        styles = browser.js(
            "const s = e => getComputedStyle(document.querySelector(e));"
            "return [s('h2').breakAfter, s('tr').breakInside, s('figure').breakInside]"
        )
        assert styles == ["avoid", "avoid", "avoid"]
        shown = browser.js(
            "return [...document.querySelectorAll('button, input, select, textarea, nav, .leaflet-control')].filter(e => e.offsetParent !== null).length"
        )
        assert shown == 0
    finally:
        drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

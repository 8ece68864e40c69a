"""One language per document: the Chinese map and report show no English sentence, the English ones no Chinese.

One run on the small data of tests/data, with the conditions that raise the most caveats: the
population estimated from the buildings, the invented GCJ-02 list of elderly-care homes with its
faulty rows, districts (one of them in West Lake, with no residents) and a boundary larger than the
OSM clip (incomplete data). Its briefing (map and report, Chinese and English) is read back as a
user sees it: every text node of the HTML and every string of the map's data block that the page
shows. The same run checks the figures: no "Glyph missing" warning where a CJK font is installed,
and the district without residents left out of the chart and named under it.
"""

from __future__ import annotations

import contextlib
import html.parser
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from accessibility import cli
from accessibility.briefing import mapimage
from accessibility.core.notes import Note
from accessibility.core.notetext import zh_text

OSM = "hangzhou_hubin.osm.pbf"
XLSX = "hubin_elderly_care_gcj02.xlsx"
#: residents of the clip live inside (120.152, 30.253, 120.175, 30.278) (tests/data/SOURCES.md)
DISTRICTS = {
    "湖滨街道": (120.152, 30.253, 120.1635, 30.278),
    "武林街道": (120.1635, 30.253, 120.175, 30.278),
    "西湖水域": (120.13, 30.245, 120.145, 30.252),  # in the lake, inside the study area: no residents
}
BOUNDARY = (120.10, 30.22, 120.21, 30.31)  # larger than the data: the goals are INCOMPLETE DATA

# ----------------------------------------------------------------------------- what a "sentence" is

#: three or more ASCII words in a row: an English phrase ("no usable facility", "population is an ESTIMATE")
ENGLISH = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:()/]+[A-Za-z][A-Za-z'’-]*){2,}")
HAN = re.compile(r"[\u3400-\u9fff]")
#: what a Chinese page may show in Latin letters: URLs, file names, ids and codes, units, licences and proper names
_ALLOWED = [
    r"https?://\S+",
    r"[\w.\-]+\.(?:osm\.pbf|pbf|tif|xlsx|csv|gpkg|html|json|parquet|geojson|png|md|docx|pdf)\b",
    r"\b[a-z0-9]+(?:[_.][a-z0-9]+)+\b",  # ids and codes: elderly_care_1km, population.estimate
    r"\bsha256 [0-9a-f]+…?",
    r"OpenStreetMap|WorldPop|Leaflet|OSM|ODbL|CC BY \d\.\d|WGS-84|GCJ-02|EPSG:\d+|H3|2SFCA|E2SFCA|accessibility \d\S*|accessibility|AMap|Tianditu",
    r"--[a-z][\w-]*",  # command-line options
]
_STRIP = re.compile("|".join(f"(?:{p})" for p in _ALLOWED))


def english_sentences(text: str) -> list[str]:
    """English phrases in ``text``, once file names, URLs, ids, units and proper names are taken out."""
    return ENGLISH.findall(_STRIP.sub(" ", text))


def test_the_sentence_finder_finds_english_and_passes_names():
    assert english_sentences("数据中没有 elderly_care 设施") == []
    assert english_sentences("OpenStreetMap 数据 © OpenStreetMap 贡献者，ODbL 许可：hangzhou_hubin.osm.pbf") == []
    assert english_sentences("population is an ESTIMATE (raster)") == ["population is an ESTIMATE (raster"]
    assert english_sentences("人口：estimate from building footprints") == ["estimate from building footprints"]


class _Text(html.parser.HTMLParser):
    """The text nodes of a page outside scripts and styles, and the JSON data block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.data: list[str] = []
        self._skip: list[str] = []
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style", "code"):
            self._skip.append(tag)
            self._in_data = tag == "script" and a.get("type") == "application/json"
        for key in ("alt", "title", "placeholder", "aria-label"):
            if a.get(key):
                self.nodes.append(str(a[key]))

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data.append(data)
        elif not self._skip and data.strip():
            self.nodes.append(data.strip())


#: keys of the map's data block whose strings the page never shows (ids, field names, colours, formats, URLs)
_HIDDEN_KEYS = {"id", "field", "fmt", "color", "colors", "stroke", "fill", "dash", "kind", "type", "url", "service", "goal", "h3", "key", "icon", "geometry",
                "coordinates", "crs", "status", "source", "tier", "lang", "mode", "file", "attr", "sha256", "osm_id", "district_id"}


def shown_strings(obj: Any, key: str = "") -> list[str]:
    """The strings of the map's data block a user can see (values under display keys, not ids or colours)."""
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k not in _HIDDEN_KEYS for s in shown_strings(v, k)]
    if isinstance(obj, list):
        return [s for v in obj for s in shown_strings(v, key)]
    if isinstance(obj, str) and not re.fullmatch(r"#[0-9a-fA-F]{3,8}|[\w.\-:/]*|[A-Za-z0-9+/=]{16,}", obj):  # colours, ids, base64 geometry
        return [obj]
    return []


def page_strings(path: Path) -> list[str]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    out = list(parser.nodes)
    for block in parser.data:
        out += shown_strings(json.loads(block))
    return out


# ----------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def caveat_run(small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A run with many caveats and its briefing in both languages; the log of the whole run."""
    base = tmp_path_factory.mktemp("one_language")
    districts = gpd.GeoDataFrame({"name": list(DISTRICTS)}, geometry=[shapely.box(*b) for b in DISTRICTS.values()], crs="EPSG:4326")
    districts.to_file(base / "districts.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": ["study"]}, geometry=[shapely.box(*BOUNDARY)], crs="EPSG:4326").to_file(base / "boundary.geojson", driver="GeoJSON")
    out = base / "run"
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    argv = ["run", "--osm", str(small_data / OSM), "--boundary", str(base / "boundary.geojson"), "--districts", str(base / "districts.geojson"),
            "--facilities", str(small_data / XLSX), "--service", "elderly_care", "--facilities-crs", "gcj02", "--out", str(out)]
    captured = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            mp.setenv("ACCESSIBILITY_LOG_DIR", str(base / "logs"))
            mp.setenv("ACCESSIBILITY_CACHE", str(base / "cache"))
            code = cli.main(argv)
    finally:
        root.removeHandler(handler)
    assert code == 0, captured.getvalue()
    return out, log.getvalue() + captured.getvalue()


def test_the_run_has_the_caveats_it_was_made_for(caveat_run):
    run, _ = caveat_run
    doc = json.loads((run / "goals.json").read_text(encoding="utf-8"))
    codes = {n["code"] for n in doc["notes"]} | {w["code"] for g in doc["goals"] for w in g["warnings"]}
    assert doc["population_is_estimate"] is True
    assert {"facilities.none", "input.facilities.summary", "data.partial"} <= codes, codes
    assert any(g.get("by_district") for g in doc["goals"])


@pytest.mark.parametrize("page", ["report_zh.html", "map_zh.html"])
def test_chinese_pages_have_no_english_sentence(caveat_run, page):
    run, _ = caveat_run
    strings = page_strings(run / page)
    assert len(strings) > 20 and any(HAN.search(s) for s in strings)
    bad = {s: english_sentences(s) for s in strings if english_sentences(s)}
    assert not bad, "\n".join(f"{found}  <-  {s[:160]!r}" for s, found in bad.items())


@pytest.mark.parametrize("page", ["report_en.html", "map_en.html"])
def test_english_pages_have_no_chinese_outside_names(caveat_run, page):
    run, _ = caveat_run
    doc = json.loads((run / "goals.json").read_text(encoding="utf-8"))
    names = set(DISTRICTS)
    names |= {str(r.get("district_name", "")) for g in doc["goals"] for r in g.get("by_district") or []}
    import pandas as pd

    fac = pd.read_parquet(run / "facilities.parquet")
    names |= {str(v) for c in ("name", "address") if c in fac for v in fac[c].dropna()}
    strings = page_strings(run / page)
    assert len(strings) > 20
    bad = []
    for s in strings:
        rest = s
        for n in sorted(names, key=len, reverse=True):
            if n:
                rest = rest.replace(n, " ")
        rest = re.sub(r"[\w.\-]+\.(?:osm\.pbf|tif|xlsx|csv|gpkg|geojson)|'[^']*'", " ", rest)  # file names, a file's column names
        if HAN.search(rest):
            bad.append(s)
    assert not bad, "\n".join(repr(s[:160]) for s in bad)


def test_no_glyph_warnings_with_a_cjk_font(caveat_run):
    if mapimage.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei or fonts-noto-cjk)")
    run, log = caveat_run
    assert "Glyph" not in log and "PNG:" not in log, log
    assert "no Chinese font" not in log
    assert (run / "report_zh_districts.png").is_file() and (run / "report_en_districts.png").is_file()


def test_districts_without_residents_are_named_under_the_table(caveat_run):
    run, _ = caveat_run
    doc = json.loads((run / "goals.json").read_text(encoding="utf-8"))
    g = next(g for g in doc["goals"] if g.get("by_district"))
    empty = mapimage.no_resident_districts(g, "zh")
    assert "西湖水域" in empty and "湖滨街道" not in empty
    assert [r["district_name"] for r in mapimage._chart_rows(g["by_district"])] == [n for n in ("湖滨街道", "武林街道") if n in
                                                                                      {r["district_name"] for r in g["by_district"]}]
    assert "无居民、未列入图表：" in (run / "report_zh.html").read_text(encoding="utf-8")
    assert "No residents, not charted: " in (run / "report_en.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the catalogue, without a run


def test_every_note_code_the_package_makes_has_chinese():
    """Each ``code="..."`` of the package gives a Chinese text, never the English message."""
    codes = set()
    for path in Path(__file__).resolve().parents[1].joinpath("accessibility").rglob("*.py"):
        codes |= set(re.findall(r'code="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert len(codes) > 20
    for code in codes:
        text = Note("something the reader said about row 3 of file.csv", code=code).text("zh")
        assert HAN.search(text) and not english_sentences(text), (code, text)


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("facilities.none", "no usable 'preschool' facility in the input: nobody can be covered for this service. This reflects missing data", "“preschool”设施"),
    ("population.none", "no older population inside the goal's area (main_urban_area); the share is undefined", "主城区"),
    ("network.pieces_dropped", "walk network: kept the largest connected part; dropped 12 nodes, 0.4 km (0.3% of street length) in 3 detached pieces",
     "步行路网：保留最大连通部分；去除了3个孤立片段中的12个节点、0.4 km"),
    ("facilities.far", "2 facilities lie more than 300 m from any street and were not used (layer facilities_rejected in results.gpkg)", "2处设施距最近道路超过 300 米"),
    ("input.facilities", "care.xlsx: coordinates converted from GCJ-02 to WGS-84", "care.xlsx：坐标已由 GCJ-02 转换为 WGS-84"),
])
def test_patterns_keep_the_numbers_and_names(code, message, expected):
    text = zh_text(message, code, {})
    assert expected in text and not english_sentences(text), text


# ----------------------------------------------------------------------------- figures, without a run

_GOAL = {"id": "g", "name_zh": "测试目标", "name_en": "Test goal", "targets": [{"share": 0.9}],
         "by_district": [{"district_id": "1", "district_name": "湖滨街道", "eligible_pop": 120.0, "share": 0.5},
                         {"district_id": "2", "district_name": "西湖水域", "eligible_pop": 0.0, "share": None}]}


def test_without_a_cjk_font_figures_warn_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(mapimage, "cjk_font", lambda: None)
    monkeypatch.setattr(mapimage, "_warned", set())
    assert mapimage.font_families("zh") == (["DejaVu Sans"], "en")
    with caplog.at_level(logging.WARNING, logger="accessibility.briefing.mapimage"):
        for lang in ("zh", "en", "zh"):  # three figures with Chinese names and no font for them
            assert mapimage.write_district_png([_GOAL], tmp_path / f"d_{lang}.png", lang=lang) is not None
    assert len(caplog.records) == 1, [r.getMessage() for r in caplog.records]
    assert "no Chinese font" in caplog.records[0].getMessage()


def test_every_figure_lists_the_cjk_font():
    cjk = mapimage.cjk_font()
    if cjk is None:
        pytest.skip("no CJK font installed")
    assert mapimage.font_families("zh") == ([cjk, "DejaVu Sans"], "zh")
    assert mapimage.font_families("en") == (["DejaVu Sans", cjk], "en")


def test_a_goal_whose_districts_have_no_residents_gets_no_chart(tmp_path):
    empty = dict(_GOAL, by_district=[r for r in _GOAL["by_district"] if not r["eligible_pop"]])
    assert mapimage.write_district_png([empty], tmp_path / "d.png", lang="zh") is None
    assert mapimage.no_resident_districts(_GOAL, "en") == ["西湖水域"]
    assert [r["district_name"] for r in mapimage._chart_rows(_GOAL["by_district"])] == ["湖滨街道"]


@pytest.mark.parametrize(("source", "zh"), [
    ("raster: hangzhou_pop.tif", "栅格：hangzhou_pop.tif"),
    ("estimate: residential buildings", "按 OSM 住宅建筑估算"),
    ("estimate: residential street length (within a factor of 5)", "按住宅道路长度估算（误差可达5倍）"),
    ("18.7% of the total (Zhejiang 2020 census 60+ share)", "总人口的18.7%（浙江省2020年人口普查60岁以上比例）"),
    ("18.7% of the estimated total", "估算总人口的18.7%"),
])
def test_population_sources_in_chinese(source, zh):
    from accessibility.briefing import i18n

    assert i18n.source(source, "zh") == zh
    assert i18n.source(source, "en") == source

"""The briefing map for officials: headline with verdict badges, China basemap defaults, print layout,
suggested-site stars, refresh after ``suggest``, and the ``maps/`` folder as data.

Browser tests open the exported HTML from disk in headless Chromium with every network host refused
(see browser_support.py).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from pathlib import Path

import pytest
from browser_support import browser  # noqa: F401  (fixture)

from accessibility import cli, errors
from accessibility.briefing import basemaps, mapheadline, maps, refresh, rundata
from accessibility.core import palette

MAP_READY = "return document.readyState === 'complete' && !!window.AccMap && document.querySelector('.acc-legend') !== null"
FIND = "const map = window[document.querySelector('.folium-map').id];"


@pytest.fixture(scope="module")
def sited_run(hangzhou_run, tmp_path_factory) -> Path:
    """A copy of the Hangzhou run with two sets of suggestions for one goal (suggestions_park_10min and -2)."""
    from accessibility.tools import siting

    _, run_dir = hangzhou_run
    out = tmp_path_factory.mktemp("sited") / "run"
    shutil.copytree(run_dir, out)
    for k in (2, 3):
        siting.write_suggestions(siting.suggest_from_run(out, "park_10min", k=k), out)
    return out


def page_data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="acc-map-data">(.*?)</script>', text, re.DOTALL)
    assert m
    return json.loads(m.group(1))


# --------------------------------------------------------------------------- headline


def test_title_precedence(hangzhou_run):
    data = rundata.load_run(hangzhou_run[1])
    assert mapheadline.map_title(data) == "hangzhou_china"  # the OSM file's stem: no title, place, district or boundary
    assert mapheadline.map_title(data, "西湖区 15分钟生活圈") == "西湖区 15分钟生活圈"
    data.manifest = {**data.manifest, "districts": {"districts": 1, "names": ["西湖区"]}}
    assert mapheadline.map_title(data) == "西湖区"
    data.manifest["title"] = "Run title"
    assert mapheadline.map_title(data) == "Run title" and mapheadline.map_title(data, "given") == "given"


def test_headline_badges_follow_the_verdicts_and_text_is_escaped(hangzhou_run):
    data = rundata.load_run(hangzhou_run[1])
    statuses = [g["status"] for g in data.goals]
    assert statuses and set(statuses) <= set(mapheadline.STATUSES)
    text = maps.map_html(data, lang="en", title="<script>alert(1)</script> & Co")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text and "<script>alert(1)" not in text
    badges = re.findall(r'<span class="acc-badge acc-badge-([a-z_]+)" style="background:(#[0-9a-f]{6})">([^<]+)</span>', text)
    assert [b[0] for b in badges] == statuses
    words = {"pass": "PASS", "fail": "FAIL", "incomplete_data": "INCOMPLETE DATA", "undefined": "n/a"}
    colors = palette.load().verdict_colors
    assert all(word == words[s] and color == colors[s] for s, color, word in badges)
    zh = maps.map_html(data, lang="zh")
    zh_words = {"pass": "达标", "fail": "未达标", "incomplete_data": "数据不全", "undefined": "无法判定"}
    assert [w for *_, w in re.findall(r'class="acc-badge acc-badge-([a-z_]+)" style="background:(#[0-9a-f]{6})">([^<]+)<', zh)] == [zh_words[s] for s in statuses]
    # the share against the target, and the main caveat of each goal that has one
    g = data.goals[0]
    assert f"{g['share']:.1%} (target {g['targets'][0]['share']:.0%})" in text
    for g in data.goals:
        caveat = (g.get("main_caveat") or {}).get("en")
        if caveat:
            assert f'<div class="acc-goal-caveat">{caveat}</div>'.replace("&", "&amp;") in text or caveat in text


# --------------------------------------------------------------------------- basemaps as data, China defaults


def test_default_is_no_tiles_and_basemaps_come_from_maps_folder(hangzhou_run, monkeypatch):
    data = rundata.load_run(hangzhou_run[1])
    layers = page_data(maps.map_html(data, lang="zh"))["layers"]
    assert [x["spec"]["type"] for x in layers if not x["overlay"]] == ["none"]
    known = basemaps.load_basemaps()
    assert {"tianditu", "amap", "osm"} <= set(known) and known["amap"].crs == "gcj02" and known["tianditu"].key_env == "TIANDITU_KEY"
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef")
    text = maps.map_html(data, lang="en", basemap="tianditu")  # the key from the environment variable basemaps.toml names
    assert "tk=0123456789abcdef" in text and "eva_w" in text and "cva_w" not in text
    assert page_data(text)["settings"] == {"basemap": "tianditu", "title": None, "key": None}  # a refresh reads the variable again


def test_bad_basemaps_and_themes_name_the_key(tmp_path):
    bad = tmp_path / "basemaps.toml"
    bad.write_text('[x]\nname_zh = "x"\nname_en = "x"\ncrs = "bd09"\nattribution = "a"\n[[x.layers]]\nurl = "https://a/{z}/{x}/{y}.png"\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"\[x\].*'crs' must be one of"):
        basemaps.load_basemaps(bad)
    bad.write_text('[x]\nname_zh = "x"\nname_en = "x"\ncrs = "wgs84"\nattribution = "a"\n[[x.layers]]\nurl = "http://a/{z}/{x}/{y}.png?k={token}"\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="https:// tile URL"):
        basemaps.load_basemaps(bad)
    text = (palette.default_maps_dir() / "themes.toml").read_text(encoding="utf-8")
    themes = tmp_path / "themes.toml"
    themes.write_text(text.replace('"#fee08b", "#fc8d59", "#d73027"]', '"#fee08b", "#fc8d59"]'), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"themes\.toml \[minutes\]: 'colors' needs 6 colours"):
        palette.load(themes)
    themes.write_text(text.replace('met_color = "#1a9850"', 'met_color = "green"'), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"\[goal_status\]: 'met_color' must be a colour"):
        palette.load(themes)
    themes.write_text(text.replace("breaks_min = [5, 10, 15, 20, 30]", "breaks_min = [5, 15, 10, 20, 30]"), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="'breaks_min' must be a list of increasing numbers"):
        palette.load(themes)


def test_themes_drive_the_map_classes(tmp_path):
    pal = palette.load()
    assert palette.MINUTE_BREAKS == pal.minute_breaks == (5.0, 10.0, 15.0, 20.0, 30.0)  # the constants of earlier versions
    assert len(pal.minute_colors) == len(pal.minute_breaks) + 2 and pal.minute_color(15.0) == pal.minute_colors[2]
    assert pal.minute_color(15.01) == pal.minute_colors[3] and pal.minute_color(float("nan")) == "#7f7f7f"


# --------------------------------------------------------------------------- in the browser


def test_headline_badges_scale_and_attribution_in_the_browser(browser, hangzhou_run, tmp_path):  # noqa: F811
    files = maps.write_map(hangzhou_run[1], lang="en", out=tmp_path / "m.html", png=False, title="Xihu district")
    page = browser.open(files.html, ready=MAP_READY)
    assert page.external == [] and page.errors == [], (page.external, page.errors)
    assert browser.js("return document.querySelectorAll('.leaflet-tile').length") == 0  # no tile layer at all
    head = browser.js("const h = document.querySelector('.acc-headline'); return [h.innerText, getComputedStyle(h).display]")
    assert "Xihu district" in head[0] and "Date: " in head[0] and head[1] != "none"
    colours = browser.js("return [...document.querySelectorAll('.acc-badge')].map(b => getComputedStyle(b).backgroundColor)")
    statuses = [g["status"] for g in rundata.load_run(hangzhou_run[1]).goals]
    assert len(colours) == len(statuses)
    assert colours == [_rgb(palette.load().verdict_colors[s]) for s in statuses]
    # no Leaflet flag prefix: the attribution holds only the data's credit
    attribution = browser.js("const a = document.querySelector('.leaflet-control-attribution'); return [a.innerText, a.querySelectorAll('svg').length]")
    assert "Leaflet" not in attribution[0] and attribution[1] == 0 and "OpenStreetMap" in attribution[0]
    # metric scale only
    scale = browser.js("return [...document.querySelectorAll('.leaflet-control-scale-line')].map(s => s.textContent)")
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale


def _rgb(hex_: str) -> str:
    v = int(hex_[1:], 16)
    return f"rgb({v >> 16}, {(v >> 8) & 255}, {v & 255})"


def test_legible_in_a_600px_iframe(browser, hangzhou_run, tmp_path):  # noqa: F811
    files = maps.write_map(hangzhou_run[1], lang="zh", out=tmp_path / "map_zh.html", png=False)
    host = tmp_path / "host.html"
    host.write_text(f"<!doctype html><html><body style='margin:0'><div style='width:600px'>{files.embed.read_text(encoding='utf-8')}</div></body></html>",
                    encoding="utf-8")
    browser.open(host)
    frame = browser.driver.find_element("css selector", "iframe")
    browser.driver.switch_to.frame(frame)
    try:
        for _ in range(100):
            if browser.js(MAP_READY):
                break
            time.sleep(0.05)
        boxes = browser.js("""
          const r = s => { const b = document.querySelector(s).getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
          return {w: innerWidth, h: innerHeight, head: r('.acc-headline'), legend: r('.acc-legend'),
                  collapsed: !!document.querySelector('.leaflet-control-layers:not(.leaflet-control-layers-expanded)')};""")
    finally:
        browser.driver.switch_to.default_content()
    assert boxes["w"] <= 600 and boxes["collapsed"]
    for name in ("head", "legend"):
        left, top, right, bottom = boxes[name]
        assert left >= 0 and right <= boxes["w"] and top >= 0 and bottom <= boxes["h"], (name, boxes)
    assert boxes["head"][3] <= boxes["legend"][1], "headline and legend overlap"


def test_print_layout_hides_controls_and_fits_a4(browser, hangzhou_run, tmp_path):  # noqa: F811
    files = maps.write_map(hangzhou_run[1], lang="zh", out=tmp_path / "print.html", png=False)
    browser.open(files.html, ready=MAP_READY)
    shown = "return [...document.querySelectorAll(arguments[0])].filter(e => getComputedStyle(e).display !== 'none').length"
    assert browser.js(shown, ".leaflet-control-zoom") == 1 and browser.js(shown, ".leaflet-control-layers") == 1
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.js(shown, ".leaflet-control-zoom") == 0 and browser.js(shown, ".leaflet-control-layers") == 0
        inside = browser.js("""
          const m = document.querySelector('.folium-map').getBoundingClientRect();
          return ['.acc-headline', '.acc-legend'].map(s => { const b = document.querySelector(s).getBoundingClientRect();
            return getComputedStyle(document.querySelector(s)).display !== 'none' && b.left >= m.left && b.right <= m.right && b.top >= m.top && b.bottom <= m.bottom; });""")
        assert inside == [True, True]
        pdf = base64.b64decode(browser.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # Chromium's PDF keeps its page objects uncompressed: one page, A4 landscape (841.9 x 595.3 points)
    pages = re.findall(rb"/Type\s*/Page\b", pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(pages) == 1, f"{len(pages)} pages"
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(842, 595)}


def test_suggested_sites_are_stars_in_numbered_layers(browser, sited_run, tmp_path):  # noqa: F811
    data = page_data(maps.map_html(rundata.load_run(sited_run), lang="en"))
    sets = [f for f in data["facilities"] if f.get("symbol") == "star"]
    assert [f["label"] for f in sets] == ["Suggested sites (park_10min)", "Suggested sites (park_10min, set 2)"]
    assert [len(f["items"]) for f in sets] == [2, 3] and sets[0]["color"] != sets[1]["color"]
    uncovered = next(t for t in data["themes"] if t["kind"] == "circles")
    assert sets[0]["color"] != uncovered["color"]
    files = maps.write_map(sited_run, lang="en", out=tmp_path / "sites.html", png=False)
    page = browser.open(files.html, ready=MAP_READY)
    assert page.errors == [] and page.external == []
    got = browser.js(FIND + """
      const out = {stars: 0, circlesWithSiteIds: 0, ranks: []};
      map.eachLayer(l => {
        if (l instanceof L.Marker && l.options.icon && l.options.icon.options.className === 'acc-star-icon') {
          out.stars++; out.ranks.push(l.getElement().querySelector('text').textContent);
          if (!l.getElement().querySelector('svg polygon')) out.noPolygon = true; }
        if (l instanceof L.CircleMarker && String(l.options.accId).startsWith('park_10min-')) out.circlesWithSiteIds++; });
      return out;""")
    assert got == {"stars": 5, "circlesWithSiteIds": 0, "ranks": ["1", "2", "1", "2", "3"]}
    legend = browser.js("return document.querySelector('.acc-legend').innerText")
    assert "Suggested sites (park_10min, set 2)" in legend and browser.js("return document.querySelectorAll('.acc-legend .acc-swatch-star').length") == 2


def test_suggest_refreshes_the_runs_map_and_report(hangzhou_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(hangzhou_run[1], run_dir)
    maps.write_map(run_dir, lang="en", png=False, title="My district")
    assert "Suggested sites" not in (run_dir / "map_en.html").read_text(encoding="utf-8")
    assert refresh.map_settings(run_dir / "map_en.html") == {"basemap": "none", "title": "My district", "key": None}
    had_report = (run_dir / "report_zh.html").is_file()
    assert cli.main(["suggest", str(run_dir), "--goal", "park_10min", "--k", "1"]) == 0
    out = capsys.readouterr().out
    assert f"refreshed: {run_dir / 'map_en.html'}" in out
    text = (run_dir / "map_en.html").read_text(encoding="utf-8")
    assert "Suggested sites (park_10min)" in text and "My district" in text  # the title it was made with
    assert not (run_dir / "map_zh.html").exists() or "建议新址" in (run_dir / "map_zh.html").read_text(encoding="utf-8")
    assert had_report == (f"refreshed: {run_dir / 'report_zh.html'}" in out)

"""The briefing map: encoding, China-correct basemaps, self-contained HTML, escaping, PNG, and a real browser.

Browser tests open the exported HTML from disk in headless Chromium with every
network host blocked (see browser_support.py).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pytest
import shapely
from browser_support import browser, distinct_colours  # noqa: F401  (fixture)
from PIL import Image

from accessibility import cli, errors
from accessibility.briefing import mapdata, maps, mapthemes, rundata
from accessibility.coords import chinacoords
from accessibility.core import columns
from accessibility.run import folder as runfolder
from accessibility.stages import hexes as hexmod

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert('name')</script>"
# Known pairs (tests/test_chinacoords.py): WGS-84 -> GCJ-02 by the published formula, and AMap's
# own web service (coordinate/convert, coordsys=gps), which agrees with the formula to 4 cm.
BROKEN_BRIDGE = ((120.150740, 30.258890), (120.1554456190, 30.2565674380))
AMAP_EXAMPLE = ((116.481499, 39.990475), (116.487585177952, 39.991754014757))
Z = 18


def tile_pixel(lon: float, lat: float, zoom: int = Z) -> tuple[float, float]:
    """Global Web-Mercator pixel (256-px tiles) of a coordinate, as tile servers count them."""
    n = 256 * 2**zoom
    s = math.sin(math.radians(lat))
    return (lon + 180) / 360 * n, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def evil_run(hangzhou_run, tmp_path_factory) -> Path:
    """A copy of the Hangzhou run whose facilities carry hostile names, two at known coordinates."""
    _, run_dir = hangzhou_run
    out = tmp_path_factory.mktemp("evil") / "run"
    shutil.copytree(run_dir, out)
    fac = gpd.read_parquet(out / "facilities.parquet")
    used = np.flatnonzero(fac["status"].to_numpy() == "used")
    i, j = used[0], used[1]
    fac.loc[i, "name"] = XSS_IMG
    fac.loc[i, "facility_id"] = "probe:broken_bridge"
    fac.loc[j, "name"] = XSS_SCRIPT
    fac.loc[j, "facility_id"] = "probe:amap_example"
    geoms = fac.geometry.to_numpy().copy()
    geoms[i] = shapely.Point(*BROKEN_BRIDGE[0])
    geoms[j] = shapely.Point(*AMAP_EXAMPLE[0])
    fac = fac.set_geometry(gpd.GeoSeries(geoms, crs=fac.crs))
    fac["address"] = None
    fac.loc[i, "address"] = "<b>bold</b> & co"
    with runfolder.update(out, command="test") as up, up.file("facilities.parquet") as tmp:
        fac.to_parquet(tmp)
    return out


@pytest.fixture(scope="module")
def hz_data(hangzhou_run) -> rundata.RunData:
    return rundata.load_run(hangzhou_run[1])


def page_data(html_text: str) -> dict:
    m = re.search(r'<script type="application/json" id="acc-map-data">(.*?)</script>', html_text, re.DOTALL)
    assert m, "the map's data block is missing"
    return json.loads(m.group(1))


def decode_varints(b64: str) -> list[int]:
    out, v, shift = [], 0, 0
    for b in base64.b64decode(b64):
        v |= (b & 127) << shift
        shift += 7
        if not b & 128:
            out.append(v)
            v, shift = 0, 0
    return out


def unzig(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def decode_hexagons(h: dict) -> list[np.ndarray]:
    """Python twin of briefing_map.js decodeHexes (lon/lat per hexagon)."""
    s, p, ax, ay, prev_k, off, out = decode_varints(h["geom"]), 0, 0, 0, -1, {}, []
    for _ in range(h["n"]):
        k = s[p]
        ax += unzig(s[p + 1])
        ay += unzig(s[p + 2])
        p += 3
        ring = [(ax, ay)]
        for j in range(1, k):
            dx, dy = unzig(s[p]), unzig(s[p + 1])
            p += 2
            if k == prev_k:
                dx, dy = dx + off[j][0], dy + off[j][1]
            off[j] = (dx, dy)
            ring.append((ax + dx, ay + dy))
        prev_k = k
        out.append(np.array(ring, dtype=np.float64) / h["scale"])
    assert p == len(s) == h["geomCount"]
    return out


# --------------------------------------------------------------------------- encoding


def test_varints_round_trip():
    rng = np.random.default_rng(1)
    values = np.r_[0, 1, 127, 128, 16383, 16384, 2**31, 2**40, rng.integers(0, 2**35, 500)].astype(np.int64)
    assert decode_varints(base64.b64encode(mapdata.leb128(values)).decode()) == values.tolist()
    signed = np.r_[0, -1, 1, -64, 64, -(2**33), rng.integers(-(2**30), 2**30, 500)]
    assert [unzig(u) for u in mapdata.zigzag(signed).tolist()] == signed.tolist()


def test_hexagons_round_trip_to_one_metre(hz_data):
    geoms = hz_data.hexes.geometry.to_numpy()
    enc = mapdata.encode_hexagons(geoms)
    rings = decode_hexagons(enc)
    assert len(rings) == len(geoms) == enc["n"]
    for ring, g in zip(rings, geoms, strict=True):
        exact = np.asarray(g.exterior.coords)[:-1]
        assert ring.shape == exact.shape
        assert np.abs(ring - exact).max() <= 0.5e-5 + 1e-12  # rounded to 1e-5 degree
    # the compact form is several times smaller than GeoJSON coordinates
    geojson = json.dumps([np.round(np.asarray(g.exterior.coords), 5).tolist() for g in geoms])
    assert len(enc["geom"]) * 4 < len(geojson)


def test_hexagons_shift_to_gcj02_on_amap(hz_data):
    geoms = hz_data.hexes.geometry.to_numpy()[:50]
    rings = decode_hexagons(mapdata.encode_hexagons(geoms, "gcj02"))
    for ring, g in zip(rings, geoms, strict=True):
        wgs = np.asarray(g.exterior.coords)[:-1]
        lon, lat = chinacoords.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
        assert np.abs(ring - np.column_stack([lon, lat])).max() <= 0.5e-5 + 1e-12


def test_minute_classes_are_exact_after_rounding():
    minutes = np.array([0.0, 4.99, 5.0, 5.0001, 14.96, 15.0, 15.04, 30.0, 30.01, np.nan, np.inf])
    tenths = mapthemes.minutes_q(minutes)
    assert tenths.tolist() == [0, 50, 50, 51, 150, 150, 151, 300, 301, -1, -1]
    cls = mapthemes.minute_classes(tenths)
    assert cls.tolist() == [0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 6]
    # the map decodes tenths/10 and classes with v > break (right-closed), as the JS does
    js = [6 if t < 0 else sum(t / 10 > b for b in mapthemes.MINUTE_BREAKS) for t in tenths]
    assert js == cls.tolist()


# --------------------------------------------------------------------------- basemaps and alignment


@pytest.mark.parametrize(("basemap", "which"), [("amap", 1), ("osm", 0), ("none", 0)])
def test_known_facility_lands_on_the_basemap_pixel(evil_run, basemap, which):
    """At zoom 18 (~0.5 m per pixel) the marker written into the HTML maps to the pixel of the
    facility's coordinate in the basemap's own system: GCJ-02 for AMap, WGS-84 otherwise."""
    data = page_data(maps.map_html(rundata.load_run(evil_run), lang="en", basemap=basemap))
    assert data["crs"] == ("gcj02" if basemap == "amap" else "wgs84")
    items = {it["id"]: it for f in data["facilities"] for it in f["items"]}
    for probe, pair in (("probe:broken_bridge", BROKEN_BRIDGE), ("probe:amap_example", AMAP_EXAMPLE)):
        it = items[probe]
        expected = tile_pixel(*pair[which])
        got = tile_pixel(it["lon"], it["lat"])
        assert abs(got[0] - expected[0]) < 0.25 and abs(got[1] - expected[1]) < 0.25, (probe, got, expected)
        assert int(got[0]) // 256 == int(expected[0]) // 256 and int(got[1]) // 256 == int(expected[1]) // 256  # same tile
        if basemap == "amap":  # the shift is real: ~520 m in Hangzhou, ~1,000 pixels at zoom 18
            wgs = tile_pixel(*pair[0])
            assert math.hypot(got[0] - wgs[0], got[1] - wgs[1]) > 800


def test_basemap_choices_and_errors(hz_data, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(errors.InputError, match="Tianditu basemap needs a key"):
        maps.map_html(hz_data, basemap="tianditu")
    with pytest.raises(errors.InputError, match="not a key"):
        maps.map_html(hz_data, basemap="tianditu", tianditu_key="abc'\"><script>")
    with pytest.raises(errors.InputError, match="basemap must be one of"):
        maps.map_html(hz_data, basemap="google")
    with pytest.raises(errors.InputError, match="language"):
        maps.map_html(hz_data, lang="fr")
    text = maps.map_html(hz_data, basemap="tianditu", tianditu_key="0123456789abcdef0123456789abcdef", lang="zh")
    tiles = page_data(text)  # data is separate from the layer specs; the tile URLs are in the layer script
    assert tiles["crs"] == "wgs84"
    assert "tianditu.gov.cn/vec_w/wmts" in text and "cva_w" in text and "tk=0123456789abcdef0123456789abcdef" in text


# --------------------------------------------------------------------------- self-contained export


def test_html_is_self_contained_and_small(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    files = maps.write_map(run_dir, lang="zh", basemap="none", out=tmp_path / "map.html")
    text = files.html.read_text(encoding="utf-8")
    assert files.html_bytes == files.html.stat().st_size < 1_000_000
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", text), "an asset is loaded from a file or URL"
    assert "cdn." not in text and "jquery" not in text.lower() and "bootstrap" not in text.lower()
    assert "sourceMappingURL" not in text
    assert 'version="1.9.3"' in text or 't.version="1.9.3"' in text  # Leaflet from XStatic-Leaflet, folium's version
    hosts = set(re.findall(r"https?://([\w.-]+)", text))
    assert hosts <= {"leafletjs.com", "www.w3.org", "bugzilla.mozilla.org"}, hosts  # strings in Leaflet: its attribution link, the SVG namespace, a comment
    assert '<html lang="zh-CN">' in text
    # the snippet and the PNG
    snippet = files.embed.read_text(encoding="utf-8")
    assert '<iframe src="map.html"' in snippet and "sandbox=" in snippet
    img = Image.open(files.png)
    assert img.width > 800 and distinct_colours(img.convert("RGB")) > 20


def test_untrusted_names_never_reach_the_page_raw(evil_run):
    text = maps.map_html(rundata.load_run(evil_run), lang="zh", basemap="none")
    assert XSS_IMG not in text and "<script>alert" not in text and "<b>bold</b>" not in text
    data = page_data(text)  # ...but the data holds them verbatim, for textContent
    names = {it["title"] for f in data["facilities"] for it in f["items"]}
    assert {XSS_IMG, XSS_SCRIPT} <= names


def test_layer_names_from_the_tomls_are_escaped(hz_data):
    bad = dict(hz_data.goals[0], name_zh="<i>目标</i>", name_en="<i>goal</i>")
    data = rundata.RunData(**{**hz_data.__dict__, "goals": [bad] + hz_data.goals[1:]})
    text = maps.map_html(data, lang="en", basemap="none")
    assert "<i>goal" not in text
    # the layer control gets the HTML-escaped name (Leaflet writes names as HTML), itself JSON-escaped in the script
    assert "\\u0026lt;i\\u0026gt;goal" in text


def test_png_shows_the_default_view(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    files = maps.write_map(run_dir, lang="en", basemap="amap", out=tmp_path / "m.html")
    img = Image.open(files.png).convert("RGB")
    # the default theme colours (first goal: nobody covered in Hangzhou -> "< 25%" red) are in the picture
    red = np.array(Image.new("RGB", (1, 1), mapthemes.GOAL_NOT_MET_COLORS[-1]).getpixel((0, 0)))
    px = np.asarray(img).reshape(-1, 3).astype(int)
    assert (np.abs(px - red).sum(axis=1) < 90).mean() > 0.01


def test_map_from_the_in_memory_result_matches_the_folder(hangzhou_run, tmp_path):
    result, run_dir = hangzhou_run
    shutil.copytree(run_dir, tmp_path / "run")
    a = maps.write_map(dataclasses.replace(result, folder=tmp_path / "run"), lang="en", basemap="none", out=tmp_path / "a.html", png=False)
    b = maps.write_map(tmp_path / "run", lang="en", basemap="none", out=tmp_path / "b.html", png=False)
    da, db = (page_data(f.html.read_text(encoding="utf-8")) for f in (a, b))
    assert da["hex"] == db["hex"] and da["themes"] == db["themes"]
    assert [f["items"] for f in da["facilities"]] == [f["items"] for f in db["facilities"]]


def test_cli_map(hangzhou_run, tmp_path, capsys):
    _, run_dir = hangzhou_run
    out = tmp_path / "cli.html"
    assert cli.main(["map", str(run_dir), "--lang", "en", "--basemap", "none", "--out", str(out)]) == 0
    assert out.is_file() and out.with_name("cli_embed.html").is_file() and out.with_suffix(".png").is_file()
    assert "hexagons" in capsys.readouterr().out
    assert cli.main(["map", str(tmp_path / "nope")]) == 2


# --------------------------------------------------------------------------- in the browser

MAP_READY = "return document.readyState === 'complete' && !!window.AccMap && document.querySelector('.acc-legend') !== null"
FIND = """
const map = window[document.querySelector('.folium-map').id];
const layers = []; map.eachLayer(l => layers.push(l));
"""


def test_map_renders_offline_without_errors(browser, evil_run, tmp_path):  # noqa: F811
    files = maps.write_map(evil_run, lang="en", basemap="none", out=tmp_path / "offline.html", png=False)
    page = browser.open(files.html, ready=MAP_READY)
    assert page.external == [], f"the self-contained map made network requests: {page.external}"
    assert page.other_files == [], f"the map loaded other files: {page.other_files}"
    assert page.errors == [], f"console errors: {page.errors}"
    assert browser.js("return window.__alerts") == []
    shot = browser.screenshot()
    assert distinct_colours(shot) > 30, "the map looks blank"
    # layers: the control lists every theme, facility layer and outline; the legend has units
    labels = browser.js("return [...document.querySelectorAll('.leaflet-control-layers label span')].map(s => s.textContent.trim())")
    data = page_data(files.html.read_text(encoding="utf-8"))
    for t in data["themes"]:
        assert t["label"] in labels
    assert "No basemap" in labels and "Study area" in labels and "Facilities: Parks" in labels
    legend = browser.js("return document.querySelector('.acc-legend').textContent")
    assert "Share of residents covered" in legend and "people" in legend and "Facilities" in legend
    n_hex = len(gpd.read_parquet(evil_run / "hexes.parquet"))
    assert browser.js("return AccMap.hexCount()") == n_hex
    # switch to a minutes theme: the fill themes are exclusive and the legend shows minutes
    browser.js(FIND + """
      const ctl = [...document.querySelectorAll('.leaflet-control-layers label')].find(l => l.textContent.includes("Parks: minutes"));
      ctl.querySelector('input').click();""")
    legend = browser.js("return document.querySelector('.acc-legend').textContent")
    assert "Walking time (minutes at 1 m/s)" in legend and "≤ 5 min" in legend and "Share of residents covered" not in legend
    # a click on a hexagon opens its popup with people and minutes
    browser.js(FIND + "map.closePopup(); map.fire('click', {latlng: L.latLng(arguments[0], arguments[1])});", *_populated_hex_centre(evil_run))
    popup = browser.js("const p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : ''")
    assert "Residents" in popup and "min" in popup


def _populated_hex_centre(run_dir: Path) -> tuple[float, float]:
    hexes = gpd.read_parquet(run_dir / "hexes.parquet")
    row = hexes.loc[hexes["pop"].idxmax()]
    c = row.geometry.centroid
    return c.y, c.x


def test_hostile_names_show_as_text_in_the_browser(browser, evil_run, tmp_path):  # noqa: F811
    files = maps.write_map(evil_run, lang="zh", basemap="none", out=tmp_path / "evil.html", png=False)
    page = browser.open(files.html, ready=MAP_READY)
    texts = browser.js(FIND + """
      const out = [];
      for (const l of layers) { if (!(l instanceof L.CircleMarker) || !String(l.options.accId).startsWith('probe:')) continue;
        l.openPopup(); out.push(l.getPopup().getElement().querySelector('.leaflet-popup-content').textContent); }
      return out;""")
    assert len(texts) == 2
    assert any(XSS_IMG in t for t in texts) and any(XSS_SCRIPT in t for t in texts)
    assert any("<b>bold</b> & co" in t for t in texts)  # the address too, literally
    assert browser.js("return document.querySelectorAll('img[src=\"x\"], .leaflet-popup-content script, .leaflet-popup-content b').length") == 0
    assert browser.js("return window.__alerts") == []
    assert page.other_files == [] and page.external == []


@pytest.mark.parametrize(("basemap", "host"), [("osm", "tile.openstreetmap.org"), ("amap", r"webrd0[1-4]\.is\.autonavi\.com")])
def test_tile_basemaps_request_only_tiles_and_fall_back_offline(browser, hangzhou_run, tmp_path, basemap, host):  # noqa: F811
    _, run_dir = hangzhou_run
    files = maps.write_map(run_dir, lang="zh", basemap=basemap, out=tmp_path / f"{basemap}.html", png=False)
    page = browser.open(files.html, ready=MAP_READY, settle_s=1.0)
    assert page.external, "the basemap requested no tiles"
    others = [u for u in page.external if not re.match(rf"https://{host}(:443)?(/|$)", u)]
    assert others == [], f"requests other than basemap tiles: {others}"
    assert page.other_files == []
    # tiles are blocked here, as on a USB stick without network: the map switches to no basemap and says so
    notice = browser.js("const n = document.querySelector('.acc-notice'); return n ? n.textContent : ''")
    assert "底图无法加载" in notice
    assert [e for e in page.errors if host.split("\\")[0].split("[")[0] not in e["message"]] == []


def test_marker_pixel_in_the_browser_on_amap(browser, evil_run, tmp_path):  # noqa: F811
    """Leaflet itself projects the marker to the GCJ-02 pixel of the facility at zoom 18."""
    files = maps.write_map(evil_run, lang="en", basemap="amap", out=tmp_path / "amap.html", png=False)
    browser.open(files.html, ready=MAP_READY)
    got = browser.js(FIND + """
      const out = {};
      for (const l of layers) { if (l instanceof L.CircleMarker && String(l.options.accId).startsWith('probe:')) {
        const p = map.project(l.getLatLng(), 18); out[l.options.accId] = [p.x, p.y]; } }
      return out;""")
    for probe, pair in (("probe:broken_bridge", BROKEN_BRIDGE), ("probe:amap_example", AMAP_EXAMPLE)):
        ex = tile_pixel(*pair[1])
        assert abs(got[probe][0] - ex[0]) < 0.25 and abs(got[probe][1] - ex[1]) < 0.25, (probe, got[probe], ex)


def synthetic_run(out: Path, *, k: int = 182, n_fac: int = 300, seed: int = 0) -> rundata.RunData:
    """The briefing view of a run of 3k(k+1)+1 H3 cells (k=182: 99,919, a large city) with random values."""
    rng = np.random.default_rng(seed)
    centre = h3.latlng_to_cell(30.27, 120.16, 9)
    cells = np.sort(np.array([h3.str_to_int(c) for c in h3.grid_disk(centre, k)], dtype=np.uint64))
    frame = hexmod.hexagons(cells)
    n = len(frame)
    pop = np.where(rng.random(n) < 0.7, rng.gamma(2.0, 400.0, n), 0.0)
    frame["pop"], frame["older_pop"] = pop, pop * 0.187
    services = ["elderly_care", "preschool", "public_health", "sports_fitness", "park"]
    for s in services:
        d = rng.gamma(2.0, 500.0, n)
        d[rng.random(n) < 0.02] = np.nan
        frame[columns.name("dist_m", s)] = d
        frame[columns.name("mean_time_min", s)] = d / 60.0
    goals = []
    for gid, s in (("service_circle_15min", "preschool"), ("elderly_care_1km", "elderly_care"), ("fitness_10min", "sports_fitness"), ("park_10min", "park")):
        elig = pop
        cov = elig * rng.random(n) * (rng.random(n) < 0.8)
        frame[columns.name("eligible_pop", gid)] = elig
        frame[columns.name("covered_pop", gid)] = cov
        goals.append({"id": gid, "name_zh": gid, "name_en": gid, "threshold": "15 min", "population": "total", "area": "study_area", "services": [s],
                      "eligible_pop": float(elig.sum()), "covered_pop": float(cov.sum()), "uncovered_pop": float(elig.sum() - cov.sum()),
                      "share": float(cov.sum() / elig.sum()), "targets": [{"label": "all", "share": 1.0, "met": False}], "passed": False,
                      "per_service_share": {s: 0.5}, "speed_m_s": 1.0, "threshold_m": 900.0, "mode": "walk"})
    w, s_, e, n_ = frame.total_bounds
    fac = gpd.GeoDataFrame({"facility_id": [f"f{i}" for i in range(n_fac)], "service": rng.choice(services, n_fac), "tier": "park",
                            "name": [f"facility {i}" for i in range(n_fac)], "source": "synthetic", "snap_dist_m": rng.random(n_fac) * 100, "status": "used"},
                           geometry=shapely.points(rng.uniform(w, e, n_fac), rng.uniform(s_, n_, n_fac)), crs="EPSG:4326")
    meta = {"population_source": "synthetic", "population_is_estimate": True, "notes": []}
    manifest = {"osm": "synthetic.osm.pbf", "services": services, "options": {"max_snap_m": 300.0}}
    return rundata.RunData(out, frame, fac, goals, meta, manifest, None, service_ids=services)


def test_a_city_of_100k_hexagons_opens_in_seconds(browser, tmp_path):  # noqa: F811
    data = synthetic_run(tmp_path / "big")
    n = len(data.hexes)
    assert n == 99_919
    t0 = time.perf_counter()
    html_path = tmp_path / "big.html"
    html_path.write_text(maps.map_html(data, lang="en", basemap="none"), encoding="utf-8")
    files = maps.MapFiles(html_path, None, None, html_path.stat().st_size, None, n, len(data.facilities), 0.0)
    build_s = time.perf_counter() - t0
    mb = files.html_bytes / 1e6
    assert mb < 12, f"{mb:.1f} MB for 100k hexagons"
    page = browser.open(files.html, ready=MAP_READY, console_log=False, settle_s=0)
    t0 = time.perf_counter()  # until two frames are painted: the hexagons are on screen and the page answers
    browser.driver.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[arguments.length - 1]))")
    shown_s = page.seconds + time.perf_counter() - t0
    assert page.errors == [] and page.external == []
    assert browser.js("return AccMap.hexCount()") == n
    decode_ms = browser.js("return AccMap.decodeMs")
    assert shown_s < 8, f"the map took {shown_s:.1f} s to show"
    assert distinct_colours(browser.screenshot()) > 5
    # panning and zooming redraw quickly too
    t0 = time.perf_counter()
    browser.js(FIND + "map.setZoom(map.getZoom() + 1, {animate: false}); map.panBy([200, 100], {animate: false});")
    browser.driver.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[arguments.length - 1]))")
    redraw_s = time.perf_counter() - t0
    assert redraw_s < 3, f"zoom + pan took {redraw_s:.1f} s"
    print(f"\n100k hexagons: {mb:.1f} MB HTML, built in {build_s:.1f} s, shown in {shown_s:.2f} s (decode {decode_ms:.0f} ms), zoom+pan {redraw_s:.2f} s")


def test_run_folder_layers_show_suggestions_and_isochrones(tmp_path, hangzhou_pbf):
    """Site suggestions and isochrones written into a run folder appear as layers of its map."""
    from accessibility.briefing import maps
    from accessibility.run import pipeline
    from accessibility.tools import isochrones, siting

    run_dir = tmp_path / "run"
    pipeline.run(hangzhou_pbf, out=run_dir)
    siting.write_suggestions(siting.suggest_from_run(run_dir, "park_10min", k=2), run_dir)
    isochrones.run_dir_isochrones(run_dir, services=["park"], hows=("dissolved",))
    html = maps.map_html(maps.load_run(run_dir), lang="en", basemap="none")
    assert "Suggested sites (park_10min)" in html
    assert "Isochrone: Parks 5 min" in html and "Isochrone: Parks 15 min" in html
    zh = maps.map_html(maps.load_run(run_dir), lang="zh", basemap="none")
    assert "建议新址（park_10min）" in zh and "等时圈" in zh

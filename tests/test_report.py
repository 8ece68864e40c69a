"""The briefing report: numbers equal goals.json, districts, coverage curves, escaping, browser, notebooks."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from browser_support import browser  # noqa: F401  (fixture)

from accessibility import cli, errors
from accessibility.briefing import i18n, report, rundata
from accessibility.run import folder as runfolder

XSS_IMG = "<img src=x onerror=alert(1)>"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class _Cells(HTMLParser):
    """Rows of every table: [(text, data-value or None), ...]."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, str | None]]]] = []
        self._cell: list[str] | None = None
        self._value: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._value = [], dict(attrs).get("data-value")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell), self._value))
            self._cell = None


def tables(html_text: str) -> list[list[list[tuple[str, str | None]]]]:
    p = _Cells()
    p.feed(html_text)
    return p.tables


@pytest.fixture(scope="module")
def hz_report(hangzhou_run, tmp_path_factory):
    """Reports of the Hangzhou run in both languages, written into a copy of the run folder."""
    _, run_dir = hangzhou_run
    out = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(run_dir, out)
    files = {lang: report.write_report(out, lang=lang) for lang in ("en", "zh")}
    return out, files


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_numbers_equal_goals_json(hz_report, lang):
    run_dir, files = hz_report
    goals = json.loads((run_dir / "goals.json").read_text(encoding="utf-8"))["goals"]
    html_text = files[lang].html.read_text(encoding="utf-8")
    summary = tables(html_text)[0]
    header = [c[0] for c in summary[0]]
    col = {k: header.index(i18n.text(k, lang)) for k in ("share", "covered", "eligible", "uncovered", "verdict")}
    assert len(summary) - 1 == len(goals)
    for row, g in zip(summary[1:], goals, strict=True):
        for key, fmt in (("share", lambda v: f"{v:.1%}"), ("covered", lambda v: f"{v:,.0f}"), ("eligible", lambda v: f"{v:,.0f}"), ("uncovered", lambda v: f"{v:,.0f}")):
            text, value = row[col[key]]
            field = "share" if key == "share" else f"{key}_pop"
            assert value is not None and float(value) == g[field], (g["id"], key)  # exact, not re-computed
            assert text == fmt(g[field])  # formatted one way
        word = i18n.text("pass" if g["passed"] else "fail", lang)
        caveat = (g.get("main_caveat") or {}).get(lang)
        assert row[col["verdict"]][0] == (f"{word} ({caveat})" if caveat else word)  # the verdict with its main caveat
    md = files[lang].markdown.read_text(encoding="utf-8")
    for g in goals:
        name = g["name_zh"] if lang == "zh" else g["name_en"]
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {report.md_escape(name)} |"))
        for v in (f"{g['share']:.1%}", f"{g['covered_pop']:,.0f}", f"{g['eligible_pop']:,.0f}", f"{g['uncovered_pop']:,.0f}"):
            assert f"| {v} |" in line


def test_coverage_curve_agrees_with_the_goal(hz_report):
    """The 10-minute point of the sports curve is the 10-minute fitness goal's share (same people, speed, threshold)."""
    run_dir, _ = hz_report
    data = rundata.load_run(run_dir)
    curves = report.coverage_curves(data, speed_m_s=1.0)
    t, share = curves["sports_fitness"]
    goal = data.goal("fitness_10min")
    assert share[np.searchsorted(t, 10.0)] == pytest.approx(goal["share"], abs=1e-12)
    park = data.goal("park_10min")
    assert curves["park"][1][np.searchsorted(t, 10.0)] == pytest.approx(park["share"], abs=1e-12)
    assert np.all(np.diff(share) >= 0) and share[0] >= 0 and share[-1] <= 1
    assert curves["elderly_care"][1].max() == 0  # no elderly-care facility in the Hangzhou extract


def test_report_lists_sources_assumptions_and_pictures(hz_report):
    _, files = hz_report
    en = files["en"].html.read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in en and "hangzhou_china.osm.pbf" in en
    assert "Population: estimate: residential buildings" in en
    assert "walking at 0.8 m/s (1,000 m)" in en  # elderly goal speed and distance, from goals.json
    assert "Facilities more than 300 m from any street are not used" in en
    assert "Content-Security-Policy" in en and "<script" not in en
    assert en.count('src="data:image/png;base64,') >= 2  # the map picture and the coverage curves, embedded
    zh = files["zh"].html.read_text(encoding="utf-8")
    assert "15分钟公共服务圈" in zh and "未达标" in zh and "OpenStreetMap 贡献者" in zh
    for p in files["zh"].images.values():
        assert p.is_file() and p.stat().st_size > 10_000
    assert "districts" not in files["en"].images  # no districts in this run: the section is skipped
    assert "By district" not in en
    md = files["en"].markdown.read_text(encoding="utf-8")
    assert "![Map](map_en.png)" in md and "report_en_coverage.png" in md


@pytest.mark.parametrize(("lang", "heading", "gates"), [("en", "Walking network quality", "Gates on streets"), ("zh", "步行路网质量", "道路上的出入口（门）")])
def test_report_states_the_network_quality(hz_report, lang, heading, gates):
    """Issue 18: the walking network's quality facts, from the manifest, in the report's language."""
    run_dir, files = hz_report
    quality = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["modes"]["walk"]["quality"]
    found = [{row[0][0]: row[1][0] for row in t if len(row) == 2} for t in tables(files[lang].html.read_text(encoding="utf-8"))]
    facts = next(f for f in found if gates in f)
    assert facts[gates] == f"{quality['gates_on_streets']:,}" and quality["gates_on_streets"] > 5
    assert heading in files[lang].html.read_text(encoding="utf-8")
    assert heading in files[lang].markdown.read_text(encoding="utf-8")


def test_by_district_table_and_chart(hangzhou_run, tmp_path):
    _, run_dir = hangzhou_run
    out = tmp_path / "run"
    shutil.copytree(run_dir, out)
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    g = doc["goals"][2]
    rows = [
        {"district_id": "330106", "district_name": "西湖区", "eligible_pop": g["eligible_pop"] * 0.6, "covered_pop": g["covered_pop"] * 0.5},
        {"district_id": "330102", "district_name": XSS_IMG, "eligible_pop": g["eligible_pop"] * 0.4, "covered_pop": g["covered_pop"] * 0.5},
    ]
    for r in rows:
        r["uncovered_pop"] = r["eligible_pop"] - r["covered_pop"]
        r["share"] = r["covered_pop"] / r["eligible_pop"]
    g["by_district"] = rows
    with runfolder.update(out, command="test") as up:
        up.write_text("goals.json", json.dumps(doc, ensure_ascii=False))
    files = report.write_report(out, lang="zh", map_png=False)
    assert files.images["districts"].is_file()
    text = files.html.read_text(encoding="utf-8")
    assert "分区结果" in text and "西湖区" in text
    dtable = next(t for t in tables(text) if t[0][0][0] == i18n.text("district", "zh"))
    assert [c[0] for c in dtable[1]][:2] == ["西湖区", f"{rows[0]['share']:.1%}"]
    assert float(dtable[2][1][1]) == rows[1]["share"]
    assert XSS_IMG not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    md = files.markdown.read_text(encoding="utf-8")
    assert XSS_IMG not in md and "&lt;img src=x onerror=alert(1)&gt;" in md


def test_report_from_the_in_memory_result_matches(hangzhou_run, tmp_path):
    result, run_dir = hangzhou_run
    out = tmp_path / "run"
    shutil.copytree(run_dir, out)
    from_result = report.write_report(dataclasses.replace(result, folder=out), lang="en", out_dir=tmp_path / "a", map_png=False)
    from_folder = report.write_report(out, lang="en", out_dir=tmp_path / "b", map_png=False)
    a, b = (tables(f.html.read_text(encoding="utf-8"))[0] for f in (from_result, from_folder))
    assert a == b


def test_write_briefing_both_languages(hangzhou_run, tmp_path):
    from accessibility import briefing

    result, run_dir = hangzhou_run
    shutil.copytree(run_dir, tmp_path / "run")
    written = briefing.write_briefing(dataclasses.replace(result, folder=tmp_path / "run"), langs=("zh", "en"), basemap="amap")
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"map_zh.html", "map_en.html", "report_zh.html", "report_en.md", "map_zh.png", "map_en.png"} <= names
    assert len(written) == 4


def test_errors_name_the_fix(tmp_path):
    with pytest.raises(errors.RunDirectoryError, match="does not exist; run `accessibility run"):
        report.write_report(tmp_path / "missing")
    (tmp_path / "half").mkdir()
    with pytest.raises(errors.RunDirectoryError, match=re.escape("manifest.json is missing")):
        report.write_report(tmp_path / "half")
    assert cli.main(["report", str(tmp_path / "half")]) == 2


def test_cli_report(hz_report, capsys):
    run_dir, _ = hz_report
    assert cli.main(["report", str(run_dir), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "report_en.html" in out and "report_en.md" in out


# --------------------------------------------------------------------------- untrusted text


@pytest.fixture(scope="module")
def evil_report(hangzhou_run, tmp_path_factory):
    _, run_dir = hangzhou_run
    out = tmp_path_factory.mktemp("evil_report") / "run"
    shutil.copytree(run_dir, out)
    fac = gpd.read_parquet(out / "facilities.parquet")
    first = int(np.flatnonzero(fac["status"].to_numpy() == "used")[0])
    fac.loc[first, "name"] = XSS_IMG
    doc = json.loads((out / "goals.json").read_text(encoding="utf-8"))
    doc["goals"][0]["warnings"].append({"code": "test", "severity": "warning", "message": "<script>alert('warning')</script>", "message_zh": None, "context": {}})
    with runfolder.update(out, command="test") as up:
        with up.file("facilities.parquet") as tmp:
            fac.to_parquet(tmp)
        up.write_text("goals.json", json.dumps(doc, ensure_ascii=False))
    return report.write_report(out, lang="en")


def test_hostile_names_are_escaped_in_the_report(evil_report):
    text = evil_report.html.read_text(encoding="utf-8")
    assert XSS_IMG not in text and "<script>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    md = evil_report.markdown.read_text(encoding="utf-8")
    assert XSS_IMG not in md and "<script>" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md


def test_report_in_the_browser(browser, evil_report):  # noqa: F811
    page = browser.open(evil_report.html)
    assert page.external == [] and page.other_files == []
    assert page.errors == [], page.errors
    body = browser.js("return document.body.innerText")
    assert XSS_IMG in body and "<script>alert('warning')</script>" in body  # shown as text
    assert browser.js("return document.querySelectorAll('img[src=\"x\"], body script').length") == 0
    assert browser.js("return window.__alerts") == []
    loaded = browser.js("return [...document.images].map(i => i.complete && i.naturalWidth > 0)")
    assert loaded and all(loaded)


# --------------------------------------------------------------------------- notebooks


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs(name, tmp_path):
    """Each notebook runs top to bottom on the embedded demo extract (outputs go to a temporary folder)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{name}: commit notebooks without outputs"
    old = os.environ.get("ACCESSIBILITY_NOTEBOOK_OUT")
    os.environ["ACCESSIBILITY_NOTEBOOK_OUT"] = str(tmp_path / "out")
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if old is None:
            os.environ.pop("ACCESSIBILITY_NOTEBOOK_OUT")
        else:
            os.environ["ACCESSIBILITY_NOTEBOOK_OUT"] = old
    errors_ = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors_ == []
    assert list((tmp_path / "out").rglob("goals.json")), "the notebook wrote no run folder"
    if "report" in name:
        assert {p.name for p in (tmp_path / "out").rglob("*.html")} >= {"map_zh.html", "report_zh.html", "report_en.html"}


def test_notebooks_exist():
    assert len(list(NOTEBOOKS.glob("*.ipynb"))) >= 2


def test_report_has_provision_and_suggestion_sections(hangzhou_run, tmp_path):
    """After `provision` and `suggest`, the report carries their numbers exactly."""
    from accessibility.tools import provision, siting

    _, run_dir = hangzhou_run
    out = tmp_path / "run"
    shutil.copytree(run_dir, out)
    prov = provision.provision_from_run(out, "sports_area_per_person")
    provision.write_provision(prov, out)
    sug = siting.suggest_from_run(out, "park_10min", k=2)
    siting.write_suggestions(sug, out)
    files = report.write_report(out, lang="en", map_png=False)
    text = files.html.read_text(encoding="utf-8")
    assert "Provision ratios (2SFCA / E2SFCA)" in text and "Suggested new sites: park_10min" in text
    assert f"{prov.summary['overall_ratio']:,.2f}" in text
    assert f"{sug.summary['share_after']:.1%}" in text
    # how the catchment was measured, and the facilities its ratios leave out
    assert "Sports ground area per person (m²): catchment of a 15-minute walk at 1 m/s." in text
    if prov.summary["facilities_without_supply"]:
        assert f"{prov.summary['facilities_without_supply']} facilities have no &#x27;area_m2&#x27; value and are left out" in text
    zh = report.write_report(out, lang="zh", map_png=False).html.read_text(encoding="utf-8")
    assert "配置指标" in zh and "建议新址" in zh
    assert "人均体育场地面积：服务范围为步行15分钟（步速1米/秒）。" in zh

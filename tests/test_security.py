"""Data is never code, and nothing is written outside the run folder.

Every text a user or an OpenStreetMap editor controls — OSM names and operators,
the names in a planner's facility list, district names, goal names and targets,
the OSM file's own name — goes through a whole run and every command that works
on it, carrying template (Jinja2), HTML, Markdown and mathtext syntax. None of it
may be evaluated: a shell command in a template would create a marker file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import synthetic

from accessibility import cli, config, errors
from accessibility.run import folder as runfolder
from accessibility.tools import siting

FORMULA = '=HYPERLINK("http://example.com/x","click")'


def hostile(marker: Path) -> dict[str, str]:
    """Texts that would do something if any output evaluated them."""
    return {
        "jinja_math": "{{7*7}}x",
        "jinja_shell": "{{ lipsum.__globals__['os'].system('touch " + str(marker) + "') }}",
        "jinja_block": "{% for i in range(3) %}loop{% endfor %}",
        "jinja_unclosed": "{{ oops",
        "html": "<img src=x onerror=alert(1)>",
        "markdown": "**bold** [link](http://example.com) | pipe # heading",
        "mathtext": r"$\frac{1}{$ and $x^2$",
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A CLI run where every text field carries hostile text, then every command on it."""
    tmp = tmp_path_factory.mktemp("hostile")
    marker = tmp / "PWNED"
    texts = hostile(marker)
    folder = tmp / "{{ data }}"  # a file name with template syntax too
    folder.mkdir()
    osm = synthetic.grid_osm(
        folder / "{{7*7}}city.osm",
        names={"park": texts["jinja_math"], "public_health": texts["jinja_shell"], "preschool": texts["jinja_block"],
               "sports_fitness": texts["mathtext"], "elderly_care": texts["html"]},
        operator=texts["jinja_unclosed"],
    )
    w, s, e, n = synthetic.grid_bounds()
    facilities = pd.DataFrame(
        {"name": [texts["jinja_shell"], texts["markdown"], texts["jinja_math"], FORMULA], "lon": [w + 0.001, (w + e) / 2, e - 0.001, None],
         "lat": [s + 0.001, (s + n) / 2, n - 0.001, None], "beds": [30, 40, 50, 10]}
    )
    fac_csv = folder / "{{ homes }}.csv"
    facilities.to_csv(fac_csv, index=False)
    mid = (w + e) / 2
    districts = gpd.GeoDataFrame(
        {"name": [texts["jinja_math"] + texts["mathtext"], texts["jinja_shell"]]},
        geometry=[shapely.box(w - 0.01, s - 0.01, mid, n + 0.01), shapely.box(mid, s - 0.01, e + 0.01, n + 0.01)],
        crs="EPSG:4326",
    )
    dist_file = folder / "districts.geojson"
    districts.to_file(dist_file, driver="GeoJSON")
    goals = folder / "goals.toml"
    q = json.dumps  # a JSON string is a valid TOML basic string
    goals.write_text(
        f"""
[[goal]]
id = "park_10min"
name_zh = {q(texts["jinja_shell"])}
name_en = {q(texts["jinja_math"] + texts["markdown"])}
services = ["park"]
max_time_min = 10
targets = [{{ share = 1.0, label = {q(texts["jinja_block"] + texts["mathtext"])} }}]

[[goal]]
id = "elderly_care_1km"
name_zh = {q(texts["html"])}
name_en = {q(texts["mathtext"])}
services = ["elderly_care"]
population = "older"
max_dist_m = 1000
targets = [{{ share = 1.0, label = "all" }}]

[[provision]]
id = "elderly_beds_per_10k"
name_zh = {q(texts["jinja_math"])}
name_en = {q(texts["jinja_shell"])}
service = "elderly_care"
supply = "beds"
population = "older"
per = 10000
target = 300
max_dist_m = 1000
""",
        encoding="utf-8",
    )
    out = tmp / "run"
    codes = [cli.main(["-q", "run", "--osm", str(osm), "--facilities", str(fac_csv), "--service", "elderly_care", "--facilities-crs", "wgs84",
                       "--districts", str(dist_file), "--goals", str(goals), "--isochrones", "--out", str(out)])]
    codes.append(cli.main(["-q", "suggest", str(out), "--goal", "park_10min", "--k", "2"]))
    codes.append(cli.main(["-q", "provision", str(out), "--goals", str(goals)]))
    codes.append(cli.main(["-q", "map", str(out), "--lang", "en", "--basemap", "none"]))
    codes.append(cli.main(["-q", "report", str(out), "--lang", "en"]))
    return {"out": out, "marker": marker, "texts": texts, "codes": codes}


def _text_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(folder.iterdir()) if p.suffix in (".html", ".md", ".json", ".csv", ".geojson")}


def test_no_text_is_ever_evaluated(hostile_run):
    assert hostile_run["codes"] == [0, 0, 0, 0, 0]
    assert not hostile_run["marker"].exists(), "a template in the data ran a shell command"
    files = _text_files(hostile_run["out"])
    assert {"map_zh.html", "map_en.html", "report_zh.html", "report_en.md", "goals.md", "goals.json"} <= set(files)
    evaluated = re.compile(r"(?<![A-Za-z0-9+/])49x(?![A-Za-z0-9+/=])")  # not inside base64 pictures
    for name, text in files.items():
        assert not evaluated.search(text), f"{name}: the template {{{{7*7}}}} was evaluated"
        assert "looplooploop" not in text, f"{name}: a template loop was evaluated"


def test_maps_carry_the_literal_text(hostile_run):
    texts = hostile_run["texts"]
    page = (hostile_run["out"] / "map_en.html").read_text(encoding="utf-8")
    for key in ("jinja_math", "jinja_block", "mathtext"):  # (the operator tag is not shown)
        assert json.dumps(texts[key], ensure_ascii=False)[1:-1] in page, key  # as text in popups, layer names, outlines
    assert texts["html"] not in page  # HTML is escaped (\u003c in the JSON data block)


def test_markdown_outputs_escape_names(hostile_run):
    texts = hostile_run["texts"]
    for name in ("goals.md", "report_en.md", "report_zh.md"):
        md = (hostile_run["out"] / name).read_text(encoding="utf-8")
        assert texts["html"] not in md and "<img" not in md, name
        assert "[link](http://example.com)" not in md, name  # no live link
        assert "**bold**" not in md, name
        assert r"$\frac" not in md, name  # no math for renderers that do $...$


def test_report_html_escapes_names(hostile_run):
    page = (hostile_run["out"] / "report_en.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_every_file_of_the_run_is_recorded(hostile_run):
    rf = runfolder.open_run(hostile_run["out"])
    on_disk = {p.name for p in hostile_run["out"].iterdir()}
    assert on_disk == set(rf.files) | {runfolder.MANIFEST}
    by = {rec["written_by"] for rec in rf.files.values()}
    assert {"run", "suggest", "provision", "isochrones", "map", "report"} <= by
    for name in rf.files:
        rf.file(name)  # every hash matches


def test_csv_outputs_do_not_start_formulas(hostile_run):
    import csv

    text = (hostile_run["out"] / "rejects_elderly_care.csv").read_text(encoding="utf-8-sig")
    cells = [c for row in csv.reader(text.splitlines()) for c in row]
    assert "'" + FORMULA in cells  # shown as text by Excel and WPS
    assert not [c for c in cells if c.startswith(("=", "@"))]


# --------------------------------------------------------------------------- identifiers and paths


@pytest.mark.parametrize("bad", ["x/../../../escaped_goal", "../x", "a b", "Park", "park.10", "", "公园", "x" * 64, "_x"])
def test_goal_ids_are_validated(tmp_path, bad):
    path = tmp_path / "goals.toml"
    path.write_text(f'[[goal]]\nid = {json.dumps(bad)}\nservices = ["park"]\nmax_time_min = 10\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="is not allowed"):
        config.load_goals(path)


@pytest.mark.parametrize("bad", ["../escaped.csv", "a/b.csv", ".hidden", "manifest.json", "x" * 200, "a\\b", "/etc/passwd"])
def test_run_folder_file_names_are_checked(bad):
    with pytest.raises(errors.InputError):
        runfolder.check_name(bad)


def test_suggestions_of_a_forged_goal_id_are_not_written_outside(hostile_run, tmp_path):
    out = hostile_run["out"]
    s = siting.suggest_from_run(out, "park_10min", k=1)
    s.goal = "../../escaped_goal"
    before = set(out.parent.iterdir())
    with pytest.raises(errors.InputError):
        siting.write_suggestions(s, out)
    assert set(out.parent.iterdir()) == before
    assert not list(out.parent.parent.glob("escaped_goal*"))


def test_unknown_goal_on_the_command_line(hostile_run, capsys):
    assert cli.main(["suggest", str(hostile_run["out"]), "--goal", "x/../../../escaped_goal", "--k", "1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "was not evaluated in this run" in err

"""A run folder is one unit: written whole, swapped into place, refused when it is not whole."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import synthetic

from accessibility import cli, errors
from accessibility.briefing import report
from accessibility.run import folder as runfolder
from accessibility.run import pipeline
from accessibility.tools import query, siting


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    return synthetic.grid_osm(tmp_path_factory.mktemp("grid") / "grid.osm")


@pytest.fixture(scope="module")
def two_runs(grid, tmp_path_factory):
    """Run A (one goal) and run B (every goal) of the same grid, each in its own folder."""
    base = tmp_path_factory.mktemp("runs")
    pipeline.run(grid, out=base / "a", goals=["park_10min"])
    pipeline.run(grid, out=base / "b")
    return base / "a", base / "b"


def _run_id(folder: Path) -> str:
    return runfolder.open_run(folder).manifest["run_id"]


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}"))


# --------------------------------------------------------------------------- writing


def test_a_rerun_leaves_nothing_of_the_previous_run(grid, two_runs, tmp_path):
    out = tmp_path / "run"
    pipeline.run(grid, out=out)
    s = siting.suggest_from_run(out, "park_10min", k=1)
    siting.write_suggestions(s, out)
    assert (out / "suggestions_park_10min.gpkg").is_file()
    pipeline.run(grid, out=out, goals=["park_10min"])
    assert not list(out.glob("suggestions_*")), "a stale file of the previous run survived the rerun"
    assert _run_id(out) == _run_id(two_runs[0])
    assert {p.name for p in out.iterdir()} == set(runfolder.open_run(out).files) | {"manifest.json"}
    assert _siblings(out) == []


def test_reruns_give_identical_files(grid, two_runs, tmp_path):
    out = tmp_path / "again"
    pipeline.run(grid, out=out)
    b = two_runs[1]
    for p in sorted(b.iterdir()):
        if p.name != "manifest.json":
            assert (out / p.name).read_bytes() == p.read_bytes(), p.name
    assert _run_id(out) == _run_id(b)


def test_briefing_files_are_identical_across_reruns(grid, tmp_path):
    for name in ("x", "y"):
        assert cli.main(["-q", "run", "--osm", str(grid), "--out", str(tmp_path / name), "--isochrones"]) == 0
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert "map_zh.html" in names and "isochrones_park_dissolved.geojson" in names
    differ = [n for n in names if (tmp_path / "x" / n).read_bytes() != (tmp_path / "y" / n).read_bytes()]
    assert differ == ["manifest.json"]  # its timings only
    geojson = json.loads((tmp_path / "x" / "isochrones_park_dissolved.geojson").read_text(encoding="utf-8"))
    assert geojson["name"] == "isochrones_park_dissolved"  # not the temporary file's name


@pytest.mark.parametrize("delay_s", [0.4, 0.9, 1.4, 1.9, 2.4, 2.9, 3.4])
def test_a_killed_run_leaves_the_previous_run_or_the_new_one(grid, two_runs, tmp_path, delay_s):
    a, b = two_runs
    out = tmp_path / "run"
    pipeline.run(grid, out=out, goals=["park_10min"])  # the previous run: A
    code = "import sys; from accessibility.run import pipeline, inputs; pipeline.run(sys.argv[1], out=sys.argv[2], options=inputs.RunOptions(cache=False))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(grid), str(out)])
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _run_id(out) in (_run_id(a), _run_id(b))  # opening it verifies every file against the manifest
    runfolder.prepare(out).abort()  # the next run clears the killed run's partial folder
    assert _siblings(out) == []


def test_an_interrupted_two_rename_swap_is_undone(grid, two_runs, tmp_path, monkeypatch):
    """Where the atomic exchange is not available, a crash between the two renames restores the previous run."""
    out = tmp_path / "run"
    pipeline.run(grid, out=out, goals=["park_10min"])
    monkeypatch.setattr(runfolder, "_exchange", lambda _a, _b: False)
    real_rename = os.rename
    calls = []

    def crash_on_second(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed between the renames")
        real_rename(src, dst)

    monkeypatch.setattr(runfolder.os, "rename", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(grid, out=out)
    monkeypatch.setattr(runfolder.os, "rename", real_rename)
    assert not out.exists()
    assert _run_id(out) == _run_id(two_runs[0])  # restored when opened
    assert _siblings(out) == []


def test_a_failed_run_leaves_the_previous_run(grid, two_runs, tmp_path, monkeypatch):
    out = tmp_path / "run"
    pipeline.run(grid, out=out, goals=["park_10min"])
    from accessibility.run import write as outputs

    def broken(*args, **kwargs):
        raise errors.InputError("disk trouble halfway through")

    monkeypatch.setattr(outputs, "write_files", broken)
    with pytest.raises(errors.InputError):
        pipeline.run(grid, out=out)
    assert _run_id(out) == _run_id(two_runs[0])
    assert _siblings(out) == []


# --------------------------------------------------------------------------- --out checked first


@pytest.mark.parametrize("case", ["file", "under_a_file", "not_a_run", "too_long"])
def test_a_bad_out_fails_before_the_analysis(grid, tmp_path, case):
    if case == "file":
        out = tmp_path / "taken.txt"
        out.write_text("mine", encoding="utf-8")
    elif case == "under_a_file":
        (tmp_path / "f").write_text("x", encoding="utf-8")
        out = tmp_path / "f" / "run"
    elif case == "not_a_run":
        out = tmp_path / "documents"
        out.mkdir()
        (out / "thesis.docx").write_text("years of work", encoding="utf-8")
    else:
        out = tmp_path / ("x" * 300)
    stages: list[str] = []
    with pytest.raises(errors.RunDirectoryError):
        pipeline.run(grid, out=out, progress=lambda stage, _i, _n: stages.append(stage))
    assert stages == [], "the analysis started before the output folder was checked"
    if case == "not_a_run":
        assert (out / "thesis.docx").read_text(encoding="utf-8") == "years of work"


def test_cli_bad_out_message(grid, tmp_path, capsys):
    out = tmp_path / "taken.txt"
    out.write_text("x", encoding="utf-8")
    assert cli.main(["-q", "run", "--osm", str(grid), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and "Traceback" not in err


# --------------------------------------------------------------------------- reading


@pytest.fixture
def copy_of_b(two_runs, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(two_runs[1], out)
    return out


def test_a_mixed_folder_is_refused(two_runs, copy_of_b):
    a, _ = two_runs
    (copy_of_b / "goals.json").write_bytes((a / "goals.json").read_bytes())  # another run's verdicts
    with pytest.raises(errors.RunDirectoryError, match=re.escape("goals.json does not match")):
        report.write_report(copy_of_b)


def test_a_truncated_parquet_is_refused(copy_of_b):
    p = copy_of_b / "network_walk_edges.parquet"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(errors.RunDirectoryError, match=re.escape("network_walk_edges.parquet does not match")):
        query.query_points(copy_of_b, [synthetic.LON0], [synthetic.LAT0])


def test_a_same_size_edit_is_refused_when_read(copy_of_b):
    p = copy_of_b / "facilities.parquet"
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    p.write_bytes(bytes(raw))
    runfolder.open_run(copy_of_b)  # sizes match: opening is cheap
    with pytest.raises(errors.RunDirectoryError, match=re.escape("facilities.parquet does not match")):
        query.query_points(copy_of_b, [synthetic.LON0], [synthetic.LAT0])


def test_a_damaged_manifest_or_an_old_format_is_refused(copy_of_b, capsys):
    m = copy_of_b / "manifest.json"
    doc = json.loads(m.read_text(encoding="utf-8"))
    m.write_text(m.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(errors.RunDirectoryError, match=re.escape("manifest.json is damaged")):
        runfolder.open_run(copy_of_b)
    doc.pop("format")
    m.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(errors.RunDirectoryError, match="format 1"):
        runfolder.open_run(copy_of_b)
    assert cli.main(["query", str(copy_of_b), "--points", str(m), "--out", str(copy_of_b.parent / "q.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_post_run_files_are_recorded_and_checked(copy_of_b):
    siting.write_suggestions(siting.suggest_from_run(copy_of_b, "park_10min", k=1), copy_of_b)
    rf = runfolder.open_run(copy_of_b)
    assert rf.files["suggestions_park_10min.gpkg"]["written_by"] == "suggest"
    (copy_of_b / "suggestions_park_10min.csv").write_text("edited by hand", encoding="utf-8")
    with pytest.raises(errors.RunDirectoryError, match=r"suggestions_park_10min\.csv does not match.*accessibility suggest"):
        runfolder.open_run(copy_of_b)


def test_leftover_temporaries_of_a_killed_command_are_removed(copy_of_b):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    left = copy_of_b / f".map_zh.html.{int(dead.stdout)}.0badcafe.tmp.html"
    left.write_text("half a map", encoding="utf-8")
    siting.write_suggestions(siting.suggest_from_run(copy_of_b, "park_10min", k=1), copy_of_b)
    assert not left.exists()

"""No traceback reaches a user: every failure of the command line is a message naming the input and the fix."""

from __future__ import annotations

import contextlib
import errno
import warnings
from pathlib import Path

import pytest
import synthetic

from accessibility import cli, config, errors
from accessibility.run import pipeline


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    return synthetic.grid_osm(tmp_path_factory.mktemp("grid") / "grid.osm")


def _run(grid: Path, out: Path, *extra: str) -> list[str]:
    return ["-q", "run", "--osm", str(grid), "--out", str(out), "--no-briefing", *extra]


def test_an_unexpected_error_is_reported_with_a_log(grid, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ACCESSIBILITY_LOG_DIR", str(tmp_path / "logs"))

    def boom(*args, **kwargs):
        raise RuntimeError("boom in a stage")

    monkeypatch.setattr(pipeline, "run", boom)
    assert cli.main(_run(grid, tmp_path / "out")) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "unexpected RuntimeError: boom in a stage" in err and "not in your data" in err
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "boom in a stage" in text and "run --osm" in text


@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/run/hexes.parquet"), "disk is full"),
        (PermissionError(errno.EACCES, "Permission denied", "/data/run"), "permission denied for /data/run"),
        (KeyboardInterrupt(), "interrupted"),
        (MemoryError(), "out of memory"),
    ],
)
def test_system_errors_are_sentences(grid, tmp_path, monkeypatch, capsys, exc, fragment):
    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(pipeline, "run", fail)
    code = cli.main(_run(grid, tmp_path / "out"))
    assert code == (130 if isinstance(exc, KeyboardInterrupt) else 2)
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--max-snap-m", "nan", "metres"),
        ("--max-snap-m", "-5", "metres"),
        ("--population-total", "-1000", "people"),
        ("--population-total", "inf", "people"),
        ("--older-share", "18.7", "fraction"),
        ("--resolution", "20", "H3 resolution"),
        ("--resolution", "9.5", "whole number"),
    ],
)
def test_option_ranges(grid, tmp_path, capsys, option, value, fragment):
    with pytest.raises(SystemExit) as exc:
        cli.main(_run(grid, tmp_path / "out", option, value))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert option in err and fragment in err and "Traceback" not in err


def test_walk_speed_typed_in_metres_per_minute(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["isochrones", str(tmp_path), "--walk-speed-m-s", "70"])
    assert "metres per minute" in capsys.readouterr().err
    goals = tmp_path / "goals.toml"
    goals.write_text('[[goal]]\nid = "park_10min"\nservices = ["park"]\nmax_time_min = 10\nwalk_speed_m_s = 70\n', encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"70 m/min would be 1.17 m/s"):
        config.load_goals(goals)


def test_run_options_refuse_nan():
    for kwargs in ({"max_snap_m": float("nan")}, {"reach_m": -1.0}, {"resolution": 9.5}, {"older_share": float("nan")}, {"resolution": True}):
        with pytest.raises(errors.InputError):
            pipeline.RunOptions(**kwargs)


def test_package_warnings_are_one_line(grid, tmp_path, monkeypatch, capsys):
    real = pipeline.run

    def warn_then_run(*args, **kwargs):
        warnings.warn("the raster covers 40% of the study area", errors.DataQualityWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", warn_then_run)
    assert cli.main(_run(grid, tmp_path / "out", "--goal", "park_10min")) == 0
    err = capsys.readouterr().err
    assert "warning: the raster covers 40% of the study area" in err
    assert "warnings.warn" not in err and "DataQualityWarning" not in err


# --------------------------------------------------------------------------- TOML as planners save it

GOALS_ZH = '[[goal]]\nid = "park_10min"\nname_zh = "公园10分钟"\nservices = ["park"]\nmax_time_min = 10\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk"])
def test_toml_in_the_encodings_windows_editors_save(tmp_path, encoding):
    path = tmp_path / "goals.toml"
    path.write_bytes(GOALS_ZH.encode(encoding))
    (goal,) = config.load_goals(path)
    assert goal.name_zh == "公园10分钟"


def test_toml_nested_too_deeply(tmp_path):
    path = tmp_path / "goals.toml"
    path.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="nested too deeply"):
        config.load_goals(path)


def test_toml_binary_garbage(tmp_path):
    path = tmp_path / "goals.toml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(errors.ConfigError, match=str(path)):
        config.load_goals(path)


# --------------------------------------------------------------------------- fuzzing the configuration readers

from hypothesis import HealthCheck, given, settings  # noqa: E402 - kept beside the tests that use it
from hypothesis import strategies as st  # noqa: E402

_TOML_PIECES = st.sampled_from([
    "[[goal]]\n", "[[provision]]\n", "[[rules]]\n", 'id = "park_10min"\n', 'id = "a/../b"\n', 'services = ["park"]\n', "services = []\n",
    "max_time_min = 10\n", "max_time_min = -1\n", "max_time_min = nan\n", "max_dist_m = inf\n", "walk_speed_m_s = 70\n", 'population = "older"\n',
    'name_zh = "{{7*7}}"\n', "targets = [{ share = 1.5 }]\n", 'targets = [{ share = 1.0, label = "x" }]\n', 'tiers = { park = ["x"] }\n',
    'tags = { amenity = "x" }\n', 'name_en = "x"\n', "density_rule = [{ min_density_per_km2 = 3000, max_dist_m = 500 }]\n", "x = [[[[1]]]]\n",
    "\ufeff", "\x00", "= = =\n", '"\n',
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(_TOML_PIECES, max_size=14), encoding=st.sampled_from(["utf-8", "utf-16", "gbk", "utf-8-sig"]), raw=st.binary(max_size=64))
def test_config_readers_never_fail_unexpectedly(tmp_path, pieces, encoding, raw):
    path = tmp_path / "fuzz.toml"
    text = "".join(pieces)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    for content in (data, raw, data + raw):
        path.write_bytes(content)
        for load in (config.load_goals, config.load_provisions, config.load_service, config.load_mode):
            with contextlib.suppress(errors.AccessibilityError):
                load(path)

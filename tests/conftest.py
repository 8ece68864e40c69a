"""Shared fixtures: the real third-party data in ../shared/data and one Hangzhou run.

The data lives outside the repository (``<repo>/../shared/data``). On a developer
machine without it the tests that need it are skipped; in CI (env var ``CI``
set) a missing folder is a failure, so the suite can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

HANGZHOU_DIR = "hangzhou_westlake_osm2015"
WUHAN_DIR = "wuhan_worldpop_age65_fallback"


def missing(what: str, why: str = f"the tests read real data from {SHARED_DATA} (see its SOURCES.md)") -> None:
    """Skip locally, fail in CI (env var CI set)."""
    msg = f"{what} is missing; {why}"
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def _need(path: Path) -> Path:
    if not path.exists():
        missing(str(path))
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        missing(f"shared data folder {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def hangzhou_pbf(shared_data: Path) -> Path:
    return _need(shared_data / HANGZHOU_DIR / "hangzhou_china.osm.pbf")


@pytest.fixture(scope="session")
def hangzhou_bz2(shared_data: Path) -> Path:
    return _need(shared_data / HANGZHOU_DIR / "hangzhou_china.osm.bz2")


@pytest.fixture(scope="session")
def beijing_bz2(shared_data: Path) -> Path:
    return _need(shared_data / "beijing_haidian_osm2017" / "map.osm.bz2")


@pytest.fixture(scope="session")
def wuhan_f(shared_data: Path) -> Path:
    return _need(shared_data / WUHAN_DIR / "pop_65_f_wuhan.tif")


@pytest.fixture(scope="session")
def wuhan_m(shared_data: Path) -> Path:
    return _need(shared_data / WUHAN_DIR / "pop_65_m_wuhan.tif")


@pytest.fixture(scope="session")
def hangzhou_walk(hangzhou_pbf: Path):
    """The Hangzhou walking network (largest component), built once."""
    from accessibility import network

    return network.graph_from_file(hangzhou_pbf, mode="walk")


@pytest.fixture(scope="session")
def hangzhou_drive(hangzhou_pbf: Path):
    """The Hangzhou driving network (one-way rules, time weights), built once."""
    from accessibility import network

    return network.graph_from_file(hangzhou_pbf, mode="drive")


@pytest.fixture(scope="session")
def hangzhou_run(hangzhou_pbf: Path, tmp_path_factory: pytest.TempPathFactory):
    """One default pipeline run on Hangzhou (walk goals, estimated population), written to a folder.

    Returns ``(result, run_dir)``.
    """
    from accessibility.run import pipeline

    out = tmp_path_factory.mktemp("hangzhou_run") / "run"
    result = pipeline.run(hangzhou_pbf, out=out)
    return result, out


@pytest.fixture(scope="session")
def ogrinfo() -> str:
    """Path of GDAL's ``ogrinfo`` (skipped locally when absent, a failure in CI)."""
    import shutil

    exe = shutil.which("ogrinfo")
    if exe is None:
        missing("GDAL's ogrinfo command", "install the Debian package gdal-bin (.ci/run does)")
    return exe


@pytest.fixture(scope="session")
def small_data() -> Path:
    """The small real test data committed in tests/data (a Hubin OSM clip, rasters, a GCJ-02 list; see its SOURCES.md).

    Unlike ``shared_data`` it is part of the repository, so it is never skipped.
    """
    return Path(__file__).resolve().parent / "data"

"""The cache folder kept under a size: entries used longest ago go first, what a run used stays."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
import shapely

from accessibility import cli, errors
from accessibility.network import cachesize
from accessibility.readers.facility_files import FacilityInput
from accessibility.run import pipeline
from accessibility.run.inputs import PopulationInput, RunOptions


def _key(group: str, n: int) -> str:
    return f"{group}{n:062x}"


def _entry(cache: Path, kind: str, group: str, n: int, size: int, used: float) -> Path:
    """An entry as the cache writes them: ``<group>/<kind->64 hex starting with the group>`` holding meta.json."""
    key = _key(group, n)
    folder = cache / group / (f"{kind}-{key}" if kind != "network" else key)
    folder.mkdir(parents=True)
    (folder / "data.bin").write_bytes(b"x" * size)
    (folder / cachesize.DONE).write_text("{}", encoding="utf-8")
    os.utime(folder, (used, used))
    return folder


def test_prune_removes_the_entries_used_longest_ago(tmp_path):
    now = time.time()
    old = _entry(tmp_path, "search", "aa", 1, 1000, now - 300)
    network = _entry(tmp_path, "network", "ab", 2, 3000, now - 200)
    recent = _entry(tmp_path, "residents", "ac", 3, 2000, now - 100)
    ours = _entry(tmp_path, "access", "ad", 4, 500, now)
    assert [e.kind for e in cachesize.entries(tmp_path)] == ["search", "network", "residents", "access"]
    assert [e.path for e in cachesize.entries(tmp_path)] == [old, network, recent, ours]
    assert cachesize.entries(tmp_path)[0].size_bytes == 1000 + 2
    # 6,508 bytes: two oldest go to reach 3,000; the run's own entry is never removed
    removed = cachesize.prune(tmp_path, limit_bytes=3000, keep_since=now - 50)
    assert [e.path for e in removed] == [old, network]
    assert not old.exists() and not network.exists() and recent.exists() and ours.exists()
    # a limit below the run's own entries: the rest goes, the run's entry stays
    assert [e.path for e in cachesize.prune(tmp_path, limit_bytes=0, keep_since=now - 50)] == [recent]
    assert ours.exists() and [e.path for e in cachesize.entries(tmp_path)] == [ours]
    assert not list(tmp_path.rglob("*.tmp"))  # removal leaves nothing behind


def test_what_a_run_used_is_kept_whatever_its_file_times(tmp_path):
    """Entries read or written while a run tracks them stay, even when their times say otherwise (a server clock behind)."""
    long_ago = time.time() - 10_000
    read = _entry(tmp_path, "search", "aa", 1, 100, long_ago)
    other = _entry(tmp_path, "search", "ab", 2, 100, long_ago + 1)
    with cachesize.tracking() as used:
        cachesize.note_used(read)
        os.utime(read, (long_ago, long_ago))
        assert [e.path for e in cachesize.prune(tmp_path, limit_bytes=0, keep=used)] == [other]
    assert read.exists() and not other.exists()
    assert cachesize.prune(tmp_path, limit_bytes=0) != []  # no run tracks it any more


def test_folders_that_are_not_entries_are_never_touched(tmp_path):
    """A cache folder pointed at a folder of other data: nothing of it is listed or removed."""
    now = time.time()
    mine = [tmp_path / "projects" / "hangzhou", tmp_path / "ab" / "notes", tmp_path / "ab" / _key("cd", 1), tmp_path / "ab" / ("search-" + _key("ab", 1)[:40])]
    incomplete = tmp_path / "ab" / _key("ab", 2)  # an entry's name without its meta.json
    for folder in [*mine, incomplete]:
        folder.mkdir(parents=True)
        (folder / "data.bin").write_bytes(b"x" * 1000)
        os.utime(folder, (now - 10_000, now - 10_000))
    assert cachesize.entries(tmp_path) == []
    assert cachesize.prune(tmp_path, limit_bytes=0) == []
    assert all((f / "data.bin").is_file() for f in [*mine, incomplete])
    assert cli.main(["cache", "--cache", str(tmp_path), "--prune-to", "0"]) == 0
    assert all((f / "data.bin").is_file() for f in [*mine, incomplete])


def test_marking_an_entry_used_keeps_it_longer(tmp_path):
    now = time.time()
    a = _entry(tmp_path, "search", "aa", 1, 100, now - 300)
    b = _entry(tmp_path, "search", "ab", 2, 100, now - 200)
    cachesize.mark_used(a)  # read by a run: now the most recent
    assert [e.path for e in cachesize.prune(tmp_path, limit_bytes=150)] == [b]
    assert a.exists()


def test_stale_temporary_folders_are_removed_fresh_ones_kept(tmp_path):
    now = time.time()
    stale = tmp_path / "aa" / f".search-{_key('aa', 1)[:13]}.x1y2z3_a.tmp"
    fresh = tmp_path / "aa" / f".{_key('aa', 2)[:20]}.q9w8e7r6.tmp"
    alien = tmp_path / "aa" / ".holiday.tmp"  # not ours: kept
    for folder, age in ((stale, 2 * cachesize.STALE_TMP_S), (fresh, 10), (alien, 2 * cachesize.STALE_TMP_S)):
        (folder / "entry").mkdir(parents=True)
        os.utime(folder, (now - age, now - age))
    cachesize.prune(tmp_path, limit_bytes=1e12)
    assert not stale.exists() and fresh.exists() and alien.exists()  # a writer may still be filling the fresh one
    assert cachesize.entries(tmp_path) == []  # temporary folders are not entries


def test_the_limit_from_the_environment(monkeypatch):
    monkeypatch.delenv(cachesize.MAX_GB_ENV, raising=False)
    assert cachesize.max_bytes() == cachesize.DEFAULT_MAX_GB * 1e9
    monkeypatch.setenv(cachesize.MAX_GB_ENV, "0.5")
    assert cachesize.max_bytes() == 5e8
    for bad in ("lots", "-1", "nan"):
        monkeypatch.setenv(cachesize.MAX_GB_ENV, bad)
        with pytest.raises(errors.ConfigError, match=r"ACCESSIBILITY_CACHE_MAX_GB=.* is not a size in GB"):
            cachesize.max_bytes()


def test_the_cache_command_lists_and_prunes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(cachesize.MAX_GB_ENV, raising=False)
    now = time.time()
    _entry(tmp_path, "search", "aa", 1, 2_000_000, now - 300)
    _entry(tmp_path, "network", "ab", 2, 1_000_000, now - 100)
    assert cli.main(["cache", "--cache", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"cache {tmp_path}: 2 entries, 0.00 GB (kept under 20 GB" in out
    assert "network        1 entries        1.0 MB" in out and "search         1 entries        2.0 MB" in out
    assert cli.main(["cache", "--cache", str(tmp_path), "--prune-to", "0.0015"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 entries (2.0 MB) used longest ago" in out and "1 entries" in out
    assert cli.main(["cache", "--cache", str(tmp_path), "--prune-to", "-1"]) == 2
    assert "--prune-to -1: give a size in GB, 0 or more" in capsys.readouterr().err


def test_a_run_keeps_the_cache_under_its_limit_and_what_it_used(small_data, tmp_path, monkeypatch):
    """Run A fills the cache; B, with a planner's fitness list, under a limit of 0, keeps what it used and removes what it did not; C reuses all of B's."""
    monkeypatch.delenv(cachesize.MAX_GB_ENV, raising=False)
    cache = tmp_path / "cache"
    kw = {"population": PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"), "options": RunOptions(cache=cache)}
    osm = small_data / "hangzhou_hubin.osm.pbf"
    a = pipeline.run(osm, **kw)
    searches = {e.path for e in cachesize.entries(cache) if e.kind == "search"}
    assert len(searches) > 1 and searches == {Path(e["entry"]) for e in a.manifest["search_cache"]["walk"]["entries"]}
    # one search per distinct set of facilities: the clip's tier subsets that hold every facility of their service are not searched again
    assert len(searches) == a.manifest["search_cache"]["walk"]["searched"] < len(a.modes["walk"].set_trees)
    assert a.manifest["cache_size"] == {"limit_gb": cachesize.DEFAULT_MAX_GB, "removed_entries": 0, "removed_mb": 0.0}
    fit = a.facilities[(a.facilities["service"] == "sports_fitness") & (a.facilities["status"] == "used")]
    x, y = shapely.get_coordinates(fit.geometry.representative_point().to_numpy())[0]
    sites = tmp_path / "sites.csv"
    pd.DataFrame({"name": ["新建健身点1", "新建健身点2"], "lon": [x + 0.002, x - 0.002], "lat": [y - 0.001, y + 0.001]}).to_csv(sites, index=False)
    kw["facilities"] = [FacilityInput(sites, service="sports_fitness")]
    monkeypatch.setenv(cachesize.MAX_GB_ENV, "0")
    time.sleep(0.05)  # B's start is after every entry A wrote
    b = pipeline.run(osm, **kw)
    used = b.manifest["search_cache"]["walk"]
    assert b.manifest["residents_cache"]["cache"] == "hit" and used["searched"] >= 1 and used["reused"] >= 1
    left = cachesize.entries(cache)
    # what B used stays (networks, the features' derived facts, residents, access points, its searches); A's fitness searches went
    kinds = {e.kind for e in left}
    assert {"network", "derived", "residents", "access", "search", "points"} <= kinds
    assert "features" not in kinds  # a rerun with a raster did not load them: they were used longest ago
    assert {Path(e["entry"]) for e in used["entries"]} <= {e.path for e in left}
    # every search of A is B's too, the fitness sets' OSM part included: B searched its list's part of them only;
    # the other sets' residents came with their costs (points entries), which keep the searches they came from
    assert searches <= {e.path for e in left} and used["points_reused"] >= 1
    fitness_sets = {k for (w, k) in b.modes["walk"].set_trees if w == "length" and k.startswith("sports_fitness")}
    assert 1 <= used["searched"] <= len(fitness_sets)
    assert b.manifest["cache_size"]["removed_entries"] >= 1  # A's features, which B did not use
    c = pipeline.run(osm, **kw)
    assert c.manifest["residents_cache"]["cache"] == "hit" and c.manifest["search_cache"]["walk"]["searched"] == 0
    assert [g.share for g in c.goals] == [g.share for g in b.goals]

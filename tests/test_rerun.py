"""The planner's loop: a rerun with a changed facility list takes the residents' positions and hexagons from the cache, and equals a fresh run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility.network import cachesize
from accessibility.readers.facility_files import FacilityInput
from accessibility.run import pipeline, reuse
from accessibility.run.inputs import RunOptions
from accessibility.stages import population


@pytest.fixture(scope="module")
def loop(hangzhou_pbf, tmp_path_factory) -> dict:
    """Run A (OSM facilities), then B and C with a planner's list of fitness sites: B with A's cache, C with no cache."""
    base = tmp_path_factory.mktemp("rerun")
    cache = base / "cache"
    a = pipeline.run(hangzhou_pbf, options=RunOptions(cache=cache), out=base / "a")
    fac = a.facilities[(a.facilities["service"] == "sports_fitness") & (a.facilities["status"] == "used")]
    at = shapely.get_coordinates(fac.geometry.representative_point().to_numpy())[:5]
    sites = base / "new_sites.csv"
    pd.DataFrame({"name": [f"新建健身点{i}" for i in range(len(at))], "lon": at[:, 0] + 0.004, "lat": at[:, 1] - 0.003}).to_csv(sites, index=False)
    spec = [FacilityInput(sites, service="sports_fitness")]
    b = pipeline.run(hangzhou_pbf, facilities=spec, options=RunOptions(cache=cache), out=base / "b")
    c = pipeline.run(hangzhou_pbf, facilities=spec, options=RunOptions(cache=False), out=base / "c")
    return {"a": a, "b": b, "c": c, "base": base, "cache": cache, "sites": sites}


def test_the_rerun_reuses_the_residents_of_the_first_run(loop):
    a, b, c = loop["a"], loop["b"], loop["c"]
    assert a.manifest["residents_cache"]["cache"] == "stored"
    assert b.manifest["residents_cache"] == {"cache": "hit", "entry": a.manifest["residents_cache"]["entry"]}
    assert c.manifest["residents_cache"] == {"cache": "off"}
    # the facilities of run A keep their access points; only the new sites are searched
    entry = a.manifest["access_cache"]["walk"]["entry"]
    assert a.manifest["access_cache"]["walk"] == {"cache": "stored", "entry": entry, "reused": 0, "searched": len(a.facilities), "edge_index": "whole"}
    seen = set(shapely.to_wkb(a.facilities.geometry.to_numpy()).tolist())
    again = sum(w in seen for w in shapely.to_wkb(b.facilities.geometry.to_numpy()).tolist())
    assert again >= len(a.facilities) - 5  # a list's site within the merge distance of an OSM facility takes its place
    # the new sites were placed on the streets around them: the whole network was not indexed
    assert b.manifest["access_cache"]["walk"] == {"cache": "hit", "entry": entry, "reused": again, "searched": len(b.facilities) - again, "edge_index": "near"}
    assert c.manifest["access_cache"]["walk"]["cache"] == "off"
    # each set is searched on the streets and its own facilities: only the fitness sets are searched again
    searches = b.manifest["search_cache"]["walk"]
    # (the other sets' residents are costed as run A costed them: the same searches, the same residents)
    assert searches["points_reused"] > 0 and searches["searched"] > 0
    # a fitness set is searched in two parts, the OSM facilities and the list: the list is searched; the OSM part is
    # A's search, read back, unless a site of the list took an OSM facility's place (merged), which makes it another
    fitness = {k for (w, k) in b.modes["walk"].set_trees if w == "length" and k.startswith("sports_fitness")}
    merged = int((b.tables["merges.csv"]["action"] == "merged").sum())
    assert searches["searched"] == len(fitness) * (2 if merged else 1)
    written = json.loads((loop["base"] / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert written["residents_cache"]["cache"] == "hit"
    # the list changed what the run found: the reuse is not of a result
    share = {g.id: g.share for g in b.goals}
    assert share["fitness_10min"] != {g.id: g.share for g in a.goals}["fitness_10min"]


def test_the_rerun_equals_a_fresh_run_bit_for_bit(loop):
    b_dir, c_dir = loop["base"] / "b", loop["base"] / "c"
    names = sorted(p.name for p in c_dir.iterdir())
    assert names == sorted(p.name for p in b_dir.iterdir())
    for name in names:
        if name != "manifest.json":  # it holds the timings and the cache statuses
            assert (b_dir / name).read_bytes() == (c_dir / name).read_bytes(), name
    pd.testing.assert_frame_equal(loop["b"].point_costs, loop["c"].point_costs, check_exact=True)
    pd.testing.assert_frame_equal(loop["b"].hexes, loop["c"].hexes, check_exact=True)


def _demand(n: int = 50, seed: int = 0) -> population.Demand:
    rng = np.random.default_rng(seed)
    lon, lat = 120.15 + rng.random(n) * 0.01, 30.25 + rng.random(n) * 0.01
    pop = rng.random(n) * 10
    return population.Demand(lon=lon, lat=lat, pop=pop, older=pop * 0.2, source="test", older_source="test", is_estimate=False)


def test_the_key_follows_every_input_of_the_positions():
    d, study = _demand(), shapely.box(120.1, 30.2, 120.2, 30.3)
    key = reuse.residents_key("sources", d, study, resolution=9, max_snap_m=300.0)
    assert key == reuse.residents_key("sources", _demand(), study, resolution=9, max_snap_m=300.0)
    moved = _demand()
    moved.lon[3] += 1e-9
    more = _demand()
    more.pop[0] += 1
    others = [
        reuse.residents_key("other sources", d, study, resolution=9, max_snap_m=300.0),
        reuse.residents_key("sources", moved, study, resolution=9, max_snap_m=300.0),
        reuse.residents_key("sources", more, study, resolution=9, max_snap_m=300.0),
        reuse.residents_key("sources", d, shapely.box(120.1, 30.2, 120.2, 30.31), resolution=9, max_snap_m=300.0),
        reuse.residents_key("sources", d, study, resolution=8, max_snap_m=300.0),
        reuse.residents_key("sources", d, study, resolution=9, max_snap_m=200.0),
    ]
    assert key not in others and len(set(others)) == len(others)
    assert reuse.residents_key(None, d, study, resolution=9, max_snap_m=300.0) is None  # no file content to key by


def test_the_keys_follow_the_libraries_that_computed_the_entries(monkeypatch):
    d, study = _demand(), shapely.box(120.1, 30.2, 120.2, 30.3)
    before = (reuse.residents_key("s", d, study, resolution=9, max_snap_m=300.0), reuse.access_key("s", "walk", max_snap_m=300.0, reach_m=30.0))
    assert reuse.computed_by()["geos"] == shapely.geos_version_string
    upgraded = {**reuse.computed_by(), "geos": "99.0.0"}
    monkeypatch.setattr(reuse, "computed_by", lambda: upgraded)
    after = (reuse.residents_key("s", d, study, resolution=9, max_snap_m=300.0), reuse.access_key("s", "walk", max_snap_m=300.0, reach_m=30.0))
    assert before[0] != after[0] and before[1] != after[1]


def test_another_snapping_limit_is_not_served_the_stored_positions(loop, hangzhou_pbf):
    r = pipeline.run(hangzhou_pbf, options=RunOptions(cache=loop["cache"], max_snap_m=150.0))
    assert r.manifest["residents_cache"]["cache"] == "stored"


def test_a_damaged_entry_is_computed_again(loop, hangzhou_pbf, caplog):
    entry = Path(loop["a"].manifest["residents_cache"]["entry"])
    (entry / "layout.npz").write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING, logger="accessibility.run.reuse"):
        r = pipeline.run(hangzhou_pbf, options=RunOptions(cache=loop["cache"]))
    assert r.manifest["residents_cache"]["cache"] == "stored"
    assert "cannot be read" in caplog.text
    pd.testing.assert_frame_equal(r.point_costs, loop["a"].point_costs, check_exact=True)
    again = pipeline.run(hangzhou_pbf, options=RunOptions(cache=loop["cache"]))
    assert again.manifest["residents_cache"]["cache"] == "hit"


def test_damaged_costs_at_points_are_computed_again(loop, hangzhou_pbf, caplog):
    """A set's costs at the residents and hexagon centres (``points-<key>``) that cannot be read are costed again from the searches, the same bits."""
    points = [e.path for e in cachesize.entries(loop["cache"]) if e.kind == "points"]
    assert points
    for entry in points:
        (entry / "cost.npy").write_bytes(b"not an array")
    with caplog.at_level(logging.WARNING, logger="accessibility.run.reuse"):
        r = pipeline.run(hangzhou_pbf, options=RunOptions(cache=loop["cache"]))
    assert "points cache entry" in caplog.text and "cannot be read" in caplog.text
    pd.testing.assert_frame_equal(r.point_costs, loop["a"].point_costs, check_exact=True)
    pd.testing.assert_frame_equal(r.hexes, loop["a"].hexes, check_exact=True)
    again = pipeline.run(hangzhou_pbf, options=RunOptions(cache=loop["cache"]))
    assert again.manifest["search_cache"]["walk"]["points_reused"] > 0 and again.manifest["search_cache"]["walk"]["reused"] == 0


def test_the_stored_hexagons_hold_the_layout_only(loop):
    entry = Path(loop["b"].manifest["residents_cache"]["entry"])
    stored = gpd.read_parquet(entry / "hexes.parquet")
    assert list(stored.columns) == ["h3", "geometry", "area_km2", "pop", "older_pop", "density_per_km2"]  # no run's distances
    assert stored["pop"].sum() == pytest.approx(loop["b"].demand.total)
    # read back: the same coordinates, rings and order, and the same columns
    laid = loop["a"].hexes[list(stored.columns)]
    assert shapely.equals_exact(stored.geometry.to_numpy(), laid.geometry.to_numpy(), tolerance=0).all() and stored.crs == laid.crs
    pd.testing.assert_frame_equal(pd.DataFrame(stored.drop(columns="geometry")), pd.DataFrame(laid.drop(columns="geometry")), check_exact=True)


def test_remembered_access_points_equal_a_fresh_search(hangzhou_walk, tmp_path):
    """Points and areas placed by an earlier run are looked up, new ones searched: the arrays equal one search of all."""
    from concurrent.futures import ThreadPoolExecutor

    from accessibility.network import snapping

    index = snapping.EdgeIndex(hangzhou_walk)
    w, s, e, n = hangzhou_walk.bounds()
    rng = np.random.default_rng(5)
    pts = shapely.points(w + rng.random(40) * (e - w), s + rng.random(40) * (n - s))
    parks = shapely.buffer(pts[:12], 0.0015)  # areas ~150 m across: entered along their frontage
    geoms = np.concatenate([pts, parks])
    first, then = geoms[::2], np.concatenate([geoms[rng.permutation(len(geoms))][:30], geoms[:3]])  # overlapping, shuffled, repeats
    with ThreadPoolExecutor(1) as writer:
        known = reuse.RememberedAccess(index, tmp_path, "access-" + "ab" * 32)
        known.access_points(first, reach_m=30.0)
        known.store(writer)
    assert known.status["cache"] == "stored"
    again = reuse.RememberedAccess(index, tmp_path, "access-" + "ab" * 32)
    owner, got = again.access_points(then, reach_m=30.0)
    want_owner, want = index.access_points(then, reach_m=30.0)
    assert again.status["cache"] == "hit" and 0 < again.status["reused"] < len(then)
    np.testing.assert_array_equal(owner, want_owner)
    for name in ("edge", "t", "snap_dist_m", "barrier"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None and b is None) or np.array_equal(a, b), name


# --------------------------------------------------------------------------- searches


def _edited_goals() -> tuple:
    """The shipped goals with the fitness circle's threshold moved from 10 to 12 minutes: a planner's edit of one goal."""
    import dataclasses

    from accessibility import config

    goals = config.load_goals()
    return tuple(dataclasses.replace(g, max_time_s=720.0) if g.id == "fitness_10min" else g for g in goals)


@pytest.fixture(scope="module")
def edited(loop, hangzhou_pbf) -> dict:
    """Run D: run A's inputs with one goal edited, on A's cache; run E: the same with no cache."""
    from accessibility.run.inputs import GoalsInput

    goals = GoalsInput(goals=_edited_goals())
    d = pipeline.run(hangzhou_pbf, goals=goals, options=RunOptions(cache=loop["cache"]), out=loop["base"] / "d")
    e = pipeline.run(hangzhou_pbf, goals=goals, options=RunOptions(cache=False), out=loop["base"] / "e")
    return {"d": d, "e": e}


def test_a_goal_edit_takes_every_search_from_the_first_run(loop, edited):
    a, d, e = loop["a"], edited["d"], edited["e"]
    first = a.manifest["search_cache"]["walk"]
    assert first["cache"] == "on" and first["searched"] == len(first["entries"]) > 0
    assert all(entry["cache"] == "stored" for entry in first["entries"])
    # every set's residents and empty hexagons are costed as run A costed them (points entries); the run folder's
    # node table reads every search back (two sets of run A with the same facilities can share a tree)
    total = first["reused"] + first["searched"]
    got = d.manifest["search_cache"]["walk"]
    assert {k: got[k] for k in ("cache", "reused", "searched", "entries")} == {"cache": "on", "reused": total, "searched": 0, "entries": []}
    assert got["points_reused"] >= total
    assert e.manifest["search_cache"] == {"walk": {"cache": "off"}}
    assert d.modes["walk"].graphs["length"].stubs._csr is None  # every tree came from the cache: the search graph was never built
    # the edit took effect; the other goals are as in run A
    share, before = {g.id: g.share for g in d.goals}, {g.id: g.share for g in a.goals}
    assert share["fitness_10min"] > before["fitness_10min"]
    assert share["park_10min"] == before["park_10min"]


def test_a_goal_edit_rerun_equals_a_fresh_run_bit_for_bit(loop, edited):
    d_dir, e_dir = loop["base"] / "d", loop["base"] / "e"
    names = sorted(p.name for p in e_dir.iterdir())
    assert names == sorted(p.name for p in d_dir.iterdir())
    for name in names:
        if name != "manifest.json":
            assert (d_dir / name).read_bytes() == (e_dir / name).read_bytes(), name
    pd.testing.assert_frame_equal(edited["d"].point_costs, edited["e"].point_costs, check_exact=True)


def test_the_search_key_follows_the_streets_and_the_sets_own_access_points(hangzhou_walk, tmp_path):
    """Another set, another access point, another cost: another entry. Another facility behind the same stubs: the same tree, read for it."""
    from concurrent.futures import ThreadPoolExecutor

    from accessibility.network import distances, snapping

    index = snapping.EdgeIndex(hangzhou_walk)
    w, s, e, n = hangzhou_walk.bounds()
    rng = np.random.default_rng(2)
    owner, snapped = index.access_points(shapely.points(w + rng.random(6) * (e - w), s + rng.random(6) * (n - s)))
    graph = distances.build_access_graph(hangzhou_walk, owner, snapped)
    mask = np.array([True, False, True, True, False, True])
    with ThreadPoolExecutor(1) as writer:
        memory = reuse.RememberedSearches(tmp_path, writer=writer)
        assert memory.recall(graph, mask) is None
        tree = distances.grow_tree(graph, mask)
        memory.remember(graph, mask, tree)
    assert memory.status["entries"][0]["cache"] == "stored"
    # a set without facilities: nothing recalled, nothing stored (its tree is all unreachable, grown in no time)
    with ThreadPoolExecutor(1) as writer:
        empty = np.zeros(6, bool)
        none = reuse.RememberedSearches(tmp_path, writer=writer)
        assert none.recall(graph, empty) is None
        none.remember(graph, empty, distances.grow_tree(graph, empty))
    assert none.status["searched"] == 0 and none.status["entries"] == [] and none.status.get("streets") is None
    again = reuse.RememberedSearches(tmp_path, writer=writer)
    same = distances.build_access_graph(hangzhou_walk, owner, snapped)
    got = again.recall(same, mask)
    assert got is not None and same.stubs._csr is None and again.status["reused"] == 1
    np.testing.assert_array_equal(got.cost, tree.cost)
    np.testing.assert_array_equal(got.source, tree.source)
    assert got.source.dtype == tree.source.dtype
    fresh = distances.nearest_facilities(same, mask)
    recalled = distances.nearest_facilities(same, mask, tree=got)
    np.testing.assert_array_equal(recalled.cost, fresh.cost)
    np.testing.assert_array_equal(recalled.facility, fresh.facility)
    moved = snapping.Snapped(snapped.edge, np.clip(snapped.t + 1e-9, 0, 1), snapped.snap_dist_m)
    length = hangzhou_walk.edge_weight("length")
    others = [
        (graph, ~mask),
        (distances.build_access_graph(hangzhou_walk, owner, moved), mask),
        (distances.build_access_graph(hangzhou_walk, owner, snapped, costs=(length * 1.0000001, length)), mask),
        (distances.build_access_graph(hangzhou_walk, owner, snapped, weight="length", snap_speed_m_s=2.0, costs=(length, length * 0.5)), mask),
    ]
    for g, m in others:
        assert again.recall(g, m) is None
    # the other facilities of a list (rows renumbered) keep their trees, read for the new rows
    renumbered = owner + 10
    wider = np.zeros(16, bool)
    wider[10:] = mask
    moved_rows = distances.build_access_graph(hangzhou_walk, renumbered, snapped)
    kept = again.recall(moved_rows, wider)
    assert kept is not None
    by_rows = distances.nearest_facilities(moved_rows, wider, tree=kept)
    np.testing.assert_array_equal(by_rows.cost, fresh.cost)
    np.testing.assert_array_equal(by_rows.facility, np.where(fresh.facility >= 0, fresh.facility + 10, -1))
    # a damaged entry is searched again
    entry = Path(memory.status["entries"][0]["entry"])
    (entry / "cost.npy").write_bytes(b"broken")
    assert again.recall(same, mask) is None and not entry.exists()

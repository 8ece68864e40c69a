"""The run contract: a RunResult written to a folder reads back equal, and every tool gives the same answer either way.

Uses only the small committed data (tests/data), so it runs on a fresh clone.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import config
from accessibility.core import fileio
from accessibility.core.notes import Note, Notes
from accessibility.run import pipeline, write
from accessibility.run.inputs import FacilityInput, PopulationInput, RunOptions
from accessibility.run.read import read_run
from accessibility.run.result import CostKey
from accessibility.tools import isochrones, provision, query, siting

BIKE_GOAL = config.Goal(id="park_bike_5min", name_zh="骑行5分钟到公园", name_en="Park within 5 minutes by bike", services=("park",), max_time_s=300.0, mode="bike")


@pytest.fixture(scope="module")
def pair(small_data, tmp_path_factory):
    """A run of the Hubin clip (rasters, a GCJ-02 list, a walking and a cycling goal) in memory, and read back from its folder."""
    out = tmp_path_factory.mktemp("contract") / "run"
    goals = (*[g for g in config.load_goals() if g.id in ("elderly_care_1km", "park_10min")], BIKE_GOAL)
    result = pipeline.run(
        small_data / "hangzhou_hubin.osm.pbf",
        population=PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif", older=(small_data / "hangzhou_hubin_older_3arcsec.tif",)),
        facilities=[FacilityInput(small_data / "hubin_elderly_care_gcj02.xlsx", service="elderly_care", crs="gcj02")],
        goals=goals,
        options=RunOptions(cache=False),
        out=out,
    )
    return result, read_run(out)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col], b[col]
        if col == "geometry" or x.dtype == "geometry":
            assert all(p.equals_exact(q, 0) if p is not None else q is None for p, q in zip(x, y, strict=True)), col
        elif pd.api.types.is_numeric_dtype(x):
            np.testing.assert_array_equal(x.to_numpy(np.float64), y.to_numpy(np.float64), err_msg=col)
        else:
            assert x.astype(object).where(x.notna(), None).tolist() == y.astype(object).where(y.notna(), None).tolist(), col


def test_the_folder_reads_back_equal(pair):
    a, b = pair
    assert [g.to_dict() for g in a.goals] == [g.to_dict() for g in b.goals]
    assert a.goal_specs == b.goal_specs
    assert a.notes.to_list() == b.notes.to_list()
    assert a.by_district == b.by_district and a.imports == b.imports
    for name in ("hexes", "facilities", "point_costs"):
        _frames_equal(getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True))
    for f in ("lon", "lat", "pop", "older"):
        np.testing.assert_array_equal(getattr(a.demand, f), getattr(b.demand, f))
    assert (a.demand.source, a.demand.older_source, a.demand.is_estimate) == (b.demand.source, b.demand.older_source, b.demand.is_estimate)
    assert a.study_area.equals(b.study_area)
    assert set(a.modes) == set(b.modes) == {"walk", "bike"}
    for m in a.modes:
        sa, sb = a.modes[m], b.modes[m]
        assert sa.recipe == sb.recipe and sa.speed_m_s == sb.speed_m_s
        _frames_equal(sa.net.nodes, sb.net.nodes)
        _frames_equal(sa.net.edges, sb.net.edges)
        np.testing.assert_array_equal(sa.access.facility, sb.access.facility)
        np.testing.assert_array_equal(sa.access.snapped.t, sb.access.snapped.t)
    written = {k: v for k, v in b.manifest.items() if k not in ("files", "format", "run_id", "versions")}
    assert written == json.loads(fileio.json_text(a.manifest))
    assert b.folder == a.folder


def test_costs_of_every_mode_are_kept(pair):
    _, b = pair
    bike = CostKey("bike", "park")
    assert bike.column == "park_dist_m@bike" and bike.column in b.point_costs
    assert CostKey.from_column(bike.column) == bike
    assert CostKey("walk", "park").column == "park_dist_m"
    covered = b.covered(BIKE_GOAL.id)
    radius = BIKE_GOAL.threshold_m(b.goal_speed_m_s(BIKE_GOAL))
    np.testing.assert_array_equal(covered, b.cost(bike) <= radius)
    w = b.point_costs["pop"].to_numpy()
    assert b.goal(BIKE_GOAL.id).covered_pop == pytest.approx(float(w[covered].sum()), rel=1e-12)


def test_one_speed_rule(pair):
    a, b = pair
    assert a.speed_m_s("walk") == b.speed_m_s("walk") == a.modes["walk"].recipe.speed_m_s
    older = a.goal_spec("elderly_care_1km")
    assert a.goal_speed_m_s(older) == (older.speed_m_s or a.speed_m_s("walk"))
    assert a.manifest["speeds_m_s"] == {"walk": a.speed_m_s("walk"), "bike": a.speed_m_s("bike")}


def test_tools_give_the_same_answer_in_memory_and_from_the_folder(pair, small_data):
    a, b = pair
    lon, lat = [120.160, 120.165], [30.262, 30.268]
    pd.testing.assert_frame_equal(query.query_points(a, lon, lat), query.query_points(b, lon, lat))
    ia = isochrones.isochrones_from_run(a, service="park", cutoffs_m=[300, 600])
    ib = isochrones.isochrones_from_run(b, service="park", cutoffs_m=[300, 600])
    np.testing.assert_allclose(ia["pop"], ib["pop"], rtol=1e-12)
    assert all(p.equals(q) for p, q in zip(ia.geometry, ib.geometry, strict=True))
    pa, pb = (provision.provision_from_run(r, "elderly_beds_per_10k") for r in (a, b))
    assert pa.summary == pb.summary
    sa, sb = (siting.suggest_from_run(r, "elderly_care_1km", k=2) for r in (a, b))
    assert sa.summary == sb.summary
    np.testing.assert_array_equal(sa.sites["candidate"], sb.sites["candidate"])


def test_a_cycling_goal_is_sited_on_the_cycling_network(pair):
    _, b = pair
    s = siting.suggest_from_run(b, BIKE_GOAL.id, k=1)
    assert s.summary["share_before"] == pytest.approx(b.goal(BIKE_GOAL.id).share, rel=1e-12)
    assert s.summary["share_after"] >= s.summary["share_before"]


def test_the_in_memory_result_writes_the_same_folder(pair, tmp_path):
    a, _ = pair
    again = write.write_run(dataclasses.replace(a, folder=None), tmp_path / "again")
    for name in ("goals.json", "hexes.parquet", "demand_points.parquet", "network_bike_edges.parquet", "facilities.parquet"):
        assert (again / name).read_bytes() == (a.folder / name).read_bytes(), name


# --------------------------------------------------------------------------- the pieces of the contract, by value

ids = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(mode=ids, service=ids, tiers=st.lists(ids, max_size=3, unique=True), unit=st.sampled_from(["dist_m", "time_s"]))
def test_cost_keys_name_their_columns_both_ways(mode, service, tiers, unit):
    from accessibility.stages.goals import set_key

    key = CostKey(mode, set_key(service, tuple(tiers) or None), unit)
    assert CostKey.from_column(key.column) == key


@settings(max_examples=60, deadline=None)
@given(message=st.text(min_size=1), code=ids, severity=st.sampled_from(["info", "warning"]), zh=st.none() | st.text(), context=st.dictionaries(ids, st.text(), max_size=3))
def test_notes_round_trip(message, code, severity, zh, context):
    note = Note(message, code=code, severity=severity, message_zh=zh, context=context)
    assert Note.from_dict(note.to_dict()) == note
    notes = Notes([note, message])  # a repeated message is kept once
    assert len(notes) == 1 and message in notes


@settings(max_examples=40, deadline=None)
@given(
    gid=ids, services=st.lists(ids, min_size=1, max_size=3, unique=True), minutes=st.none() | st.floats(1, 60), speed=st.none() | st.floats(0.5, 2.0),
    density=st.lists(st.tuples(st.floats(100, 1e4), st.floats(100, 2000)), max_size=2), share=st.floats(0, 1),
)
def test_goals_and_recipes_round_trip_by_value(gid, services, minutes, speed, density, share):
    goal = config.Goal(
        id=gid, name_zh="目标", name_en="goal", services=tuple(services), max_time_s=None if minutes is None else minutes * 60,
        max_dist_m=1000.0 if minutes is None else None, speed_m_s=speed, tiers=((services[0], ("a", "b")),),
        density_rules=tuple(config.DensityRule(d, m) for d, m in density), targets=(config.Target(share, "by 2027"),),
    )
    assert config.goal_from_dict(config.goal_to_dict(goal)) == goal
    for mode in ("walk", "bike", "drive"):
        recipe = config.load_mode(mode)
        assert config.recipe_from_dict(config.recipe_to_dict(recipe)) == recipe

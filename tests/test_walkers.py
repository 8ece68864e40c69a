"""Walker profiles per goal (issue 18, part 4): speed, slope from a DEM, steps, crossing delays; config, costs, the run."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from accessibility import cli, config, errors, network
from accessibility.briefing import report
from accessibility.core.notes import Notes
from accessibility.network import distances, slope, walkers
from accessibility.network import graph as graph_mod
from accessibility.network.snapping import Snapped
from accessibility.run import pipeline, walking
from accessibility.run.inputs import PopulationInput, RunOptions
from accessibility.run.read import read_run
from accessibility.run.result import CostKey
from accessibility.tools import query

LON0, LAT0 = 120.0, 30.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


def write_dem(path: Path, *, grade: float, west: float, south: float, east: float, north: float, res_deg: float = 0.0001) -> Path:
    """A WGS-84 GeoTIFF rising eastward: height = grade * metres east of ``west``."""
    nx, ny = round((east - west) / res_deg), round((north - south) / res_deg)
    x = west + (np.arange(nx) + 0.5) * res_deg
    z = np.tile(((x - west) * M_PER_DEG_LON * grade).astype("float32"), (ny, 1)) + 50.0
    with rasterio.open(path, "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32", crs="EPSG:4326",
                       transform=Affine(res_deg, 0, west, 0, -res_deg, north)) as f:
        f.write(z, 1)
    return path


def walker(**kw) -> config.Walker:
    return config.Walker(**{"id": "test", "name_zh": "测试", "name_en": "test walker", "speed_m_s": 0.8, **kw})


def east_west_net():
    """0 (west) -- 1 (east), ~480 m along a parallel."""
    return network.graph_from_arrays([LON0, LON0 + 0.005], [LAT0, LAT0], [0], [1])


# --------------------------------------------------------------------------- edge costs by hand


def test_slope_both_directions_from_a_dem(tmp_path):
    """10 % up walking east: Tobler's time factor exp(3.5 * 0.15) / exp(3.5 * 0.05) = 1.419; 10 % down: 1.0."""
    net = east_west_net()
    dem = tmp_path / "dem.tif"
    write_dem(dem, grade=0.10, west=LON0 - 0.002, south=LAT0 - 0.002, east=LON0 + 0.007, north=LAT0 + 0.002)
    from accessibility.readers.elevation import read_dem

    sloped = walkers.slope_columns(net, read_dem(dem, bounds=net.bounds()))
    assert sloped.edges["slope_fw"].iloc[0] == pytest.approx(math.exp(0.35), rel=2e-3)
    assert sloped.edges["slope_bw"].iloc[0] == pytest.approx(1.0, abs=2e-3)
    assert sloped.info["elevation"]["share_length_without_elevation"] == 0.0
    length = float(net.edges["length_m"].iloc[0])
    fw, bw = walkers.walker_costs(sloped, walker())
    assert fw[0] == pytest.approx(length * math.exp(0.35), rel=2e-3)  # east, uphill: slower
    assert bw[0] == pytest.approx(length, rel=2e-3)  # west, 10 % down: as fast as the flat by Tobler
    # a profile that does not feel slopes, or a network without the columns, walks on the flat
    np.testing.assert_allclose(walkers.walker_costs(sloped, walker(slope=False)), [[length], [length]])
    np.testing.assert_allclose(walkers.walker_costs(net, walker()), [[length], [length]])
    # without a DEM the columns are 1.0
    flat = walkers.slope_columns(net, None)
    assert flat.edges["slope_fw"].tolist() == [1.0] and flat.edges["slope_bw"].tolist() == [1.0]


def test_slope_in_the_access_graph_trip_east_is_slower(tmp_path):
    """A facility at each end: the resident in the middle walking east pays the climb."""
    from accessibility.readers.elevation import read_dem

    net = east_west_net()
    dem = write_dem(tmp_path / "dem.tif", grade=0.10, west=LON0 - 0.002, south=LAT0 - 0.002, east=LON0 + 0.007, north=LAT0 + 0.002)
    sloped = walkers.slope_columns(net, read_dem(dem))
    length = float(net.edges["length_m"].iloc[0])
    costs = walkers.walker_costs(sloped, walker())
    point = Snapped(np.array([0]), np.array([0.5]), np.array([0.0]))
    for t, expected in ((1.0, 0.5 * length * math.exp(0.35)), (0.0, 0.5 * length)):
        g = distances.build_access_graph(sloped, np.array([0]), Snapped(np.array([0]), np.array([t]), np.array([0.0])), weight="walker:test", costs=costs)
        cost, _ = distances.costs_at_points(g, distances.nearest_facilities(g), point)
        assert cost[0] == pytest.approx(expected, rel=2e-3)


def test_steps_penalty():
    net = network.graph_from_arrays([LON0, LON0 + 0.001, LON0 + 0.002], [LAT0] * 3, [0, 1], [1, 2], [100.0, 50.0])
    net.edges["highway"] = ["footway", "steps"]
    fw, bw = walkers.walker_costs(net, walker(steps_factor=2.0))
    np.testing.assert_allclose(fw, [100.0, 100.0])
    np.testing.assert_allclose(bw, [100.0, 100.0])


def crossing_net():
    """A primary road W - B - E and a crossing way S - B - N across it at B; sidewalks S - W and N - E.

    Nodes: 0 W, 1 B, 2 E, 3 S, 4 N.
    """
    lon = [LON0, LON0 + 0.001, LON0 + 0.002, LON0 + 0.001, LON0 + 0.001]
    lat = [LAT0, LAT0, LAT0, LAT0 - 0.0002, LAT0 + 0.0002]
    net = network.graph_from_arrays(lon, lat, [0, 1, 3, 1], [1, 2, 1, 4], [100.0, 100.0, 20.0, 20.0])
    net.edges["highway"] = ["primary", "primary", "footway", "footway"]
    net.edges["sidewalk"] = np.array([0, 0, graph_mod.CROSSING_WAY, graph_mod.CROSSING_WAY], np.int8)
    return net


def test_crossing_way_codes():
    code = graph_mod._sidewalk_code
    assert code({"highway": "footway", "footway": "crossing"}) == graph_mod.CROSSING_WAY
    assert code({"highway": "path", "crossing": "uncontrolled"}) == graph_mod.CROSSING_WAY
    assert code({"highway": "cycleway", "crossing": "traffic_signals"}) == graph_mod.CROSSING_WAY
    assert code({"highway": "primary", "crossing": "zebra"}) == 0  # a road with a crossing tag is no crossing way
    assert code({"highway": "footway", "footway": "sidewalk"}) == graph_mod.SIDEWALK_WAY
    assert code({"highway": "primary", "sidewalk": "separate"}) == graph_mod.SIDEWALK_SEPARATE


def test_crossing_delay_once_per_road_crossed():
    net = crossing_net()
    np.testing.assert_array_equal(walkers.crossing_edges(net), [False, False, True, True])
    w = walker(crossing_delay_s=30.0)  # 30 s at 0.8 m/s = 24 m
    fw, bw = walkers.walker_costs(net, w)
    np.testing.assert_allclose(fw, [100.0, 100.0, 20.0 + 24.0, 20.0])  # S -> B arrives at the road
    np.testing.assert_allclose(bw, [100.0, 100.0, 20.0, 20.0 + 24.0])  # N -> B arrives at the road
    # S to a facility at N: 40 m plus one wait, in flat-equivalent metres
    fac = Snapped(np.array([3]), np.array([1.0]), np.array([0.0]))
    g = distances.build_access_graph(net, np.array([0]), fac, weight="walker:test", costs=(fw, bw))
    res = distances.nearest_facilities(g)
    assert res.cost[3] == pytest.approx(40.0 + 24.0)
    assert res.cost[4] == pytest.approx(0.0)
    assert res.cost[1] == pytest.approx(20.0)  # from the road's node: no wait
    # a road whose class is minor: no crossing of a major road, no wait
    net.edges["highway"] = ["residential", "residential", "footway", "footway"]
    assert not walkers.crossing_edges(net).any()


# --------------------------------------------------------------------------- configuration


GOAL = """
[walker.older]
name_zh = "老年人"
name_en = "older people"
speed_m_s = 0.8
steps_factor = 2.0
crossing_delay_s = 30
source = "POLICY.md"

[[goal]]
id = "park_10min_older"
services = ["park"]
max_time_min = 10
walker = "older"
{extra}
"""


def load(tmp_path: Path, extra: str = "", text: str = GOAL) -> tuple[config.Goal, ...]:
    path = tmp_path / "goals.toml"
    path.write_text(text.format(extra=extra), encoding="utf-8")
    return config.load_goals(path, services=config.load_services())


def test_goal_takes_its_walkers_speed_and_round_trips(tmp_path):
    (g,) = load(tmp_path)
    assert g.walker is not None and g.walker.id == "older" and g.speed_m_s == 0.8
    assert g.walker_weight == "walker:older"
    assert config.goal_from_dict(config.goal_to_dict(g)) == g
    (same,) = load(tmp_path, "walk_speed_m_s = 0.8")
    assert same == g


def test_walker_config_errors(tmp_path):
    with pytest.raises(errors.ConfigError, match=r"goals\.toml.*walk_speed_m_s.*differs.*walker 'older'.*remove 'walk_speed_m_s'"):
        load(tmp_path, "walk_speed_m_s = 1.0")
    with pytest.raises(errors.ConfigError, match=r"unknown walker 'young'.*\['older'\]"):
        load(tmp_path, text=GOAL.replace('walker = "older"', 'walker = "young"'))
    with pytest.raises(errors.ConfigError, match=r"walker id 'old_people'.*no '_'"):
        load(tmp_path, text=GOAL.replace("[walker.older]", "[walker.old_people]"))
    with pytest.raises(errors.ConfigError, match="steps_factor"):
        load(tmp_path, text=GOAL.replace("steps_factor = 2.0", "steps_factor = 0.5"))
    with pytest.raises(errors.ConfigError, match="crossing_delay_s"):
        load(tmp_path, text=GOAL.replace("crossing_delay_s = 30", "crossing_delay_s = -1"))
    with pytest.raises(errors.ConfigError, match="mode is 'bike'"):
        load(tmp_path, 'mode = "bike"')
    with pytest.raises(errors.ConfigError, match=r"unknown key\(s\) \['speed'\]"):
        load(tmp_path, text=GOAL.replace("speed_m_s = 0.8", "speed_m_s = 0.8\nspeed = 1"))


def test_shipped_walkers_and_elderly_goal():
    walkers_ = config.load_walkers()
    assert set(walkers_) == {"older", "adult"}
    assert walkers_["older"].speed_m_s == 0.8 and walkers_["older"].steps_factor == 2.0 and walkers_["older"].source
    goals = {g.id: g for g in config.load_goals()}
    elderly = goals["elderly_care_1km"]
    assert elderly.walker == walkers_["older"] and elderly.speed_m_s == 0.8
    assert elderly.walker_weight is None  # a distance goal stays metric


# --------------------------------------------------------------------------- the run


def test_no_dem_note_and_partial_dem_note(tmp_path):
    goal = config.Goal(id="g", name_zh="g", name_en="g", services=("park",), max_time_s=600.0, walker=walker())
    net = east_west_net()
    notes = Notes()
    assert walking.add_elevation(net, [goal], RunOptions(cache=False), notes) is net
    assert [n.code for n in notes] == ["walker.no_dem"] and "on the flat" in notes.texts()[0] and notes.texts("zh")[0] != notes.texts()[0]
    # a DEM over the western half only: half the street is flat, and the run says so
    dem = write_dem(tmp_path / "half.tif", grade=0.05, west=LON0 - 0.002, south=LAT0 - 0.002, east=LON0 + 0.0025, north=LAT0 + 0.002)
    notes = Notes()
    sloped = walking.add_elevation(net, [goal], RunOptions(cache=False, elevation=dem), notes)
    assert sloped.info["elevation"]["share_length_without_elevation"] == pytest.approx(0.5, abs=0.06)
    assert [n.code for n in notes] == ["walker.dem_partial"]
    # no walking time goal with a slope walker: the DEM is not read
    notes = Notes()
    assert walking.add_elevation(net, [dataclasses.replace(goal, max_time_s=None, max_dist_m=500.0)], RunOptions(cache=False, elevation=dem), notes) is net
    assert [n.code for n in notes] == ["walker.dem_unused"]
    # ... unless a provision catchment of the goals file has one: slopes for it, no note
    notes = Notes()
    distance_goal = dataclasses.replace(goal, max_time_s=None, max_dist_m=500.0)
    sloped = walking.add_elevation(net, [distance_goal], RunOptions(cache=False, elevation=dem), notes, provision_walkers={"test": walker()})
    assert "slope_fw" in sloped.edges and [n.code for n in notes] == ["walker.dem_partial"]
    # without a DEM a provision's walker is not warned about (the provision says its catchment is flat)
    notes = Notes()
    assert walking.add_elevation(net, [distance_goal], RunOptions(cache=False), notes, provision_walkers={"test": walker()}) is net
    assert list(notes) == []


def test_a_run_computes_slopes_for_a_provision_walker_of_its_goals_file(small_data, tmp_path):
    """goals.toml with no walking time goal of a slope walker, but a provision catchment walked by 'older': a run with a DEM has slopes."""
    from accessibility.run.inputs import GoalsInput
    from accessibility.tools import provision

    text = (config.default_layers_dir() / "goals.toml").read_text(encoding="utf-8")
    goals = tmp_path / "goals.toml"
    at = text.index('id = "sports_area_per_person"')  # the sports area catchment walked by older people
    goals.write_text(text[:at] + text[at:].replace("max_time_min = 15\nwalk_speed_m_s = 1.0\n", 'max_time_min = 15\nwalker = "older"\n', 1), encoding="utf-8")
    spec = GoalsInput(goals=goals, only=("park_10min",))
    assert set(spec.provision_walkers(config.load_services())) == {"older"}
    dem = write_dem(tmp_path / "tilt.tif", grade=0.06, res_deg=0.0002, **HUBIN_DEM)
    run = pipeline.run(
        small_data / "hangzhou_hubin.osm.pbf", goals=spec, population=PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"),
        options=RunOptions(cache=False, elevation=dem),
    )
    assert "slope_fw" in run.modes["walk"].net.edges and "walker.dem_unused" not in [n.code for n in run.notes]
    walked = next(p for p in config.load_provisions(goals) if p.walker is not None)
    fac = run.facilities
    run = dataclasses.replace(run, facilities=fac.assign(**{walked.supply: np.where(fac["service"] == walked.service, 10.0, np.nan)}))
    summary = provision.provision_from_run(run, walked).summary
    assert summary["walker"]["id"] == "older" and not summary["walker_flat"] and summary["notes"] == []


HUBIN_DEM = {"west": 120.10, "south": 30.20, "east": 120.24, "north": 30.33}


@pytest.fixture(scope="module")
def hubin_runs(small_data, tmp_path_factory):
    """The Hubin clip with a park goal walked by a profile, without and with a DEM tilted 6 % eastward."""
    tmp = tmp_path_factory.mktemp("walkers")
    dem = write_dem(tmp / "tilt.tif", grade=0.06, res_deg=0.0002, **HUBIN_DEM)
    goal = config.Goal(id="park_10min_w", name_zh="公园", name_en="park", services=("park",), max_time_s=600.0, walker=walker(id="tilt", speed_m_s=1.0))
    kw = {"population": PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"), "goals": [goal]}
    flat = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", options=RunOptions(cache=False), **kw)
    out = tmp / "run"
    sloped = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", options=RunOptions(cache=False, elevation=dem), out=out, **kw)
    return flat, sloped, read_run(out)


def test_run_with_and_without_a_dem(hubin_runs):
    flat, sloped, _ = hubin_runs
    key, metres = CostKey("walk", "park", "walk_tilt_m"), CostKey("walk", "park")
    assert key.column == "park_walk_tilt_m" and CostKey.from_column("park_walk_tilt_m") == key
    # without a DEM (and no steps or crossing penalty) the walker's costs are the network metres: the share is unchanged
    np.testing.assert_allclose(flat.cost(key), flat.cost(metres))
    assert "walker.no_dem" in [n.code for n in flat.notes]
    assert "slope_fw" not in flat.modes["walk"].net.edges
    # with it, every trip costs between Tobler's fastest descent and the 6 % climb times its metres
    d, w = sloped.cost(metres), sloped.cost(key)
    ok = np.isfinite(d)
    assert (w[ok] >= d[ok] * slope.MIN_TIME_FACTOR - 1e-6).all()
    assert (w[ok] <= d[ok] * math.exp(3.5 * 0.11 - 3.5 * 0.05) + 1e-6).all()
    assert np.abs(w[ok] - d[ok]).max() > 10.0
    assert sloped.goals[0].share != flat.goals[0].share  # the tilt changes the verdict's share
    assert sloped.modes["walk"].net.info["elevation"]["dem"] == "tilt.tif"
    assert not [n for n in sloped.notes if n.code.startswith("walker.")]
    # the coverage is decided on the walker's costs: threshold 600 s x 1.0 m/s
    np.testing.assert_array_equal(sloped.covered("park_10min_w"), w <= 600.0)


def test_run_folder_round_trip(hubin_runs):
    _, a, b = hubin_runs
    assert a.goal_specs == b.goal_specs and b.goal_specs[0].walker is not None
    cols = ["park_walk_tilt_m", "park_walk_tilt_facility", "park_dist_m"]
    for c in cols:
        assert a.point_costs[c].astype(object).tolist() == b.point_costs[c].astype(object).tolist(), c
    ea, eb = a.modes["walk"].net.edges, b.modes["walk"].net.edges
    np.testing.assert_array_equal(ea["slope_fw"].to_numpy(), eb["slope_fw"].to_numpy())
    np.testing.assert_array_equal(ea["slope_bw"].to_numpy(), eb["slope_bw"].to_numpy())
    assert b.modes["walk"].walkers == a.modes["walk"].walkers
    mask = a.facility_mask("park")
    ra, rb = a.modes["walk"].nearest("park", mask, weight="walker:tilt"), b.modes["walk"].nearest("park", mask, weight="walker:tilt")
    np.testing.assert_allclose(ra.cost, rb.cost)


def test_query_answers_for_a_walker_as_the_run_costs_its_residents(hubin_runs, tmp_path):
    _, sloped, folder_run = hubin_runs
    pc = sloped.point_costs.sample(n=min(300, len(sloped.point_costs)), random_state=2)
    lon, lat = pc["lon"].to_numpy(), pc["lat"].to_numpy()
    ans = query.query_points(folder_run, lon, lat, services=["park"], walker="tilt")
    assert list(ans.columns) == ["snap_dist_m", "park_dist_m", "park_time_min", "park_facility", "park_walk_tilt_time_min", "park_walk_tilt_facility"]
    want, got = pc["park_walk_tilt_m"].to_numpy(), ans["park_walk_tilt_time_min"].to_numpy() * 60.0 * 1.0  # the walker walks 1.0 m/s
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=0, atol=1e-6)  # the same costs as the run's residents
    assert (ans["park_walk_tilt_facility"].to_numpy()[ok] == pc["park_walk_tilt_facility"].astype(object).to_numpy()[ok]).all()
    assert np.abs(ans["park_walk_tilt_time_min"] - ans["park_time_min"]).max() > 0.1  # the slopes count: not the flat time
    with pytest.raises(errors.InputError, match=r"walker 'older' is not a walker of this run's goals \(its walkers: tilt\)"):
        query.query_points(folder_run, lon[:2], lat[:2], walker="older")
    pts = tmp_path / "p.csv"
    pts.write_text(f"lon,lat\n{lon[0]},{lat[0]}\n", encoding="utf-8")
    out = tmp_path / "answers.csv"
    assert cli.main(["-q", "query", str(folder_run.folder), "--points", str(pts), "--out", str(out), "--service", "park", "--walker", "tilt"]) == 0
    assert "park_walk_tilt_time_min" in out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert ans.attrs["notes"] == []  # the DEM covers the streets: nothing to caveat


def test_walker_times_on_the_flat_say_so_in_every_output(hubin_runs, tmp_path, capsys):
    flat, _, _ = hubin_runs  # the same walker, run without a DEM
    pc = flat.point_costs.head(3)
    ans = query.query_points(flat, pc["lon"].to_numpy(), pc["lat"].to_numpy(), services=["park"], walker="tilt")
    assert ans.attrs["notes"] == ["walker tilt: times on the flat, the run has no slopes (no --elevation dem.tif, or no time goal or catchment with a walker feeling them)"]
    pts = tmp_path / "p.csv"
    pts.write_text("lon,lat\n" + "\n".join(f"{x},{y}" for x, y in zip(pc["lon"], pc["lat"], strict=True)) + "\n", encoding="utf-8")
    out = query.query_csv(flat, pts, tmp_path / "answers.csv", services=["park"], walker="tilt")
    assert (out["query_status"] == "ok (walker tilt: times on the flat, the run has no slopes (no --elevation dem.tif, or no time goal or catchment with a walker feeling them))").all()
    back = pd.read_csv(tmp_path / "answers.csv", encoding="utf-8-sig")
    assert back["query_status"].str.contains("times on the flat", regex=False).all()  # the spreadsheet carries it
    assert "times on the flat" in " ".join(out.attrs["notes"])  # and the command line prints it


def test_report_states_the_profile(hubin_runs):
    _, sloped, _ = hubin_runs
    manifest = {"goals": [config.goal_to_dict(g) for g in sloped.goal_specs], "modes": {"walk": sloped.modes["walk"].net.info}}
    data = SimpleNamespace(manifest=manifest)
    goal = {"id": "park_10min_w", "name_en": "park", "name_zh": "公园"}
    en = report._walker_text(data, goal, "en")
    zh = report._walker_text(data, goal, "zh")
    assert en is not None and "test walker" in en and "1 m/s" in en and "tilt.tif" in en and "Tobler" in en
    assert zh is not None and "测试" in zh and "tilt.tif" in zh and "walker" not in zh
    assert report._walker_text(data, {"id": "other"}, "en") is None


def _park_capacity(run):
    """The run with a capacity on every park, as a planner's list would give (the OSM extract has none)."""
    return dataclasses.replace(run, facilities=run.facilities.assign(cap=np.where(run.facilities["service"] == "park", 100.0, np.nan)))


def test_a_time_catchment_with_a_walker_is_measured_on_its_costs(hubin_runs):
    """The residents a walker's 10-minute catchment covers are those whose walker trip the run's goal covers."""
    from accessibility.tools import provision

    flat, sloped, _ = hubin_runs
    base = {"id": "park_cap", "name_zh": "公园", "name_en": "park capacity", "service": "park", "supply": "cap", "population": "total", "per": 1000.0, "target": 1.0}
    tilt = sloped.goal_specs[0].walker
    walked = config.Provision(**base, max_time_s=600.0, walker=tilt)
    metric = config.Provision(**base, max_time_s=600.0, speed_m_s=1.0)
    assert walked.speed_m_s == 1.0 and walked.walker_weight == "walker:tilt" and metric.walker_weight is None
    run = _park_capacity(sloped)
    w, d = run.cost(CostKey("walk", "park", "walk_tilt_m")), run.cost(CostKey("walk", "park"))
    away = np.abs(w - 600.0) > 1e-6  # costs computed twice may differ in the last bits at the threshold
    res = provision.provision_from_run(run, walked)
    np.testing.assert_array_equal(res.points["covered"].to_numpy()[away], (w <= 600.0)[away])
    assert res.summary["walker"]["id"] == "tilt" and res.summary["catchment_min"] == 10.0 and res.summary["notes"] == []
    for zh, want in ((False, "park capacity: catchment of a 10-minute walk by test walker (1 m/s, with slopes; "), (True, "公园：服务范围为测试步行10分钟（步速1米/秒，计坡度；")):
        text = report._catchment_text(res.summary, zh, lambda key, zh=zh, **kw: report._PLAN_TEXT[key][0 if zh else 1].format(**kw))
        assert text.startswith(want), text
    away = np.abs(d - 600.0) > 1e-6
    plain = provision.provision_from_run(run, metric)
    np.testing.assert_array_equal(plain.points["covered"].to_numpy()[away], (d <= 600.0)[away])
    assert plain.summary["walker"] is None
    assert (res.points["covered"] != plain.points["covered"]).any()  # the slopes change who is within the catchment
    # a distance catchment stays metric whatever its walker
    assert config.Provision(**base, max_dist_m=600.0, walker=tilt).walker_weight is None
    # without slopes in the run, the walker's catchment says so
    on_flat = provision.provision_from_run(_park_capacity(flat), walked).summary
    assert "times on the flat" in " ".join(on_flat["notes"]) and on_flat["walker_flat"]
    for zh, want, slopes in ((False, "The run has no slopes: the walk is timed on the flat.", "slopes;"), (True, "本次运行无坡度数据，步行时间按平地计。", "计坡度")):
        text = report._catchment_text(on_flat, zh, lambda key, zh=zh, **kw: report._PLAN_TEXT[key][0 if zh else 1].format(**kw))
        assert text.endswith(want) and slopes not in text, text  # never "with slopes" and "on the flat" together
    # a DEM covering part of the streets: the share left flat is stated
    partial = {**res.summary, "walker_share_without_elevation": 0.25}
    assert report._catchment_text(partial, False, lambda key, **kw: report._PLAN_TEXT[key][1].format(**kw)).endswith(
        "The run's elevation raster does not cover 25.0% of the street length, timed on the flat."
    )
    assert res.summary["walker_share_without_elevation"] is None  # the tilted DEM covers the clip


def test_provision_walker_in_the_goals_file(tmp_path):
    text = (config.default_layers_dir() / "goals.toml").read_text(encoding="utf-8")
    path = tmp_path / "goals.toml"
    path.write_text(text.replace("max_time_min = 15\nwalk_speed_m_s = 1.0\n", 'max_time_min = 15\nwalker = "older"\n', 1), encoding="utf-8")
    prov = {p.id: p for p in config.load_provisions(path)}
    changed = [p for p in prov.values() if p.walker is not None]
    assert len(changed) == 1 and changed[0].walker.id == "older" and changed[0].speed_m_s == changed[0].walker.speed_m_s == 0.8
    path.write_text(text.replace("max_time_min = 15\nwalk_speed_m_s = 1.0\n", 'max_time_min = 15\nwalker = "runner"\n', 1), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"unknown walker 'runner'; the walker profiles of .* are \['adult', 'older'\]"):
        config.load_provisions(path)
    path.write_text(text.replace("max_time_min = 15\nwalk_speed_m_s = 1.0\n", 'max_time_min = 15\nwalk_speed_m_s = 1.2\nwalker = "older"\n', 1), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"differs from the speed of walker 'older'"):
        config.load_provisions(path)


def test_provision_takes_its_indicators_from_the_runs_goals_file(small_data, tmp_path, capsys):
    """`accessibility provision RUN` reads the [[provision]] tables of the goals file the run was given, and says so when it is gone."""
    text = (config.default_layers_dir() / "goals.toml").read_text(encoding="utf-8")
    goals = tmp_path / "my_goals.toml"
    goals.write_text(text.replace('id = "sports_area_per_person"', 'id = "sports_area_ours"'), encoding="utf-8")
    out = tmp_path / "run"
    args = ["-q", "run", "--osm", str(small_data / "hangzhou_hubin.osm.pbf"), "--population", str(small_data / "hangzhou_hubin_pop_3arcsec.tif")]
    assert cli.main([*args, "--goals", str(goals), "--goal", "park_10min", "--no-cache", "--no-briefing", "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["-q", "provision", str(out), "--indicator", "sports_area_ours"]) == 0
    assert "sports_area_ours: overall" in capsys.readouterr().out
    goals.rename(tmp_path / "moved.toml")
    assert cli.main(["-q", "provision", str(out)]) == 2
    assert f"{goals}, the goals file of the run, is no longer there" in capsys.readouterr().err
    assert cli.main(["-q", "provision", str(out), "--goals", str(tmp_path / "moved.toml"), "--indicator", "sports_area_ours"]) == 0


def test_a_scenario_keeps_the_provision_indicators_of_its_runs_goals_file(small_data, tmp_path):
    """A rerun from the run's recorded specs (as `suggest --apply` makes) has its goals by value and the run's goals file for its indicators."""
    from accessibility.run import specs
    from accessibility.run.folder import open_run
    from accessibility.run.inputs import GoalsInput
    from accessibility.tools import provision

    text = (config.default_layers_dir() / "goals.toml").read_text(encoding="utf-8")
    goals = tmp_path / "my_goals.toml"
    goals.write_text(text.replace('id = "sports_area_per_person"', 'id = "sports_area_ours"'), encoding="utf-8")
    kw = {"population": PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"), "options": RunOptions(cache=False)}
    run = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", goals=GoalsInput(goals=goals, only=("park_10min",)), out=tmp_path / "run", **kw)
    assert provision.run_goals_file(run) == goals.resolve()
    recorded = specs.load(open_run(tmp_path / "run").manifest, run_dir=tmp_path / "run")
    assert not isinstance(recorded["goals"].goals, (str, Path)) and Path(recorded["goals"].provisions) == goals.absolute()
    osm = recorded.pop("osm_path")
    scenario = pipeline.run(osm, out=tmp_path / "scenario", **recorded)
    assert provision.run_goals_file(read_run(tmp_path / "scenario")) == goals.resolve()
    assert "sports_area_ours" in {p.id for p in config.load_provisions(provision.run_goals_file(scenario))}

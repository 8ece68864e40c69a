"""Site suggestions: exact equals spopt, greedy within its gap, suggested sites really add coverage."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import errors
from accessibility.network import distances
from accessibility.tools import siting


def _instance(seed: int, n_points: int = 40, n_cand: int = 12):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 2000, (n_points, n_cand))
    weights = rng.integers(1, 100, n_points).astype(float)
    covered = rng.random(n_points) < 0.2
    return cost, weights, covered


def _naive_greedy(reach: np.ndarray, weights: np.ndarray, covered: np.ndarray, k: int) -> float:
    remaining = np.where(covered, 0.0, weights)
    total = 0.0
    for _ in range(k):
        gains = (reach * remaining[:, None]).sum(axis=0)
        c = int(np.argmax(gains))
        if gains[c] <= 0:
            break
        total += gains[c]
        remaining[reach[:, c]] = 0.0
    return total


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100_000), st.integers(1, 5))
def test_lazy_greedy_equals_plain_greedy(seed, k):
    cost, weights, covered = _instance(seed)
    model = siting.MaxCoverage.from_cost_matrix(cost, weights, 600.0, covered=covered)
    res = model.solve(k)
    assert res.gains.sum() == pytest.approx(_naive_greedy(cost <= 600.0, weights, covered, k))
    assert np.all(np.diff(res.gains) <= 1e-9)  # submodular: gains never grow


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_matches_spopt_and_greedy_is_within_gap(seed):
    import pulp
    from spopt.locate import MCLP

    cost, weights, _ = _instance(seed, n_points=30, n_cand=10)
    k = 3
    model = siting.MaxCoverage.from_cost_matrix(cost, weights, 500.0)
    both = model.solve(k, method="both")
    exact = model.solve(k, method="exact")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spopt uses PuLP's older API
        ref = MCLP.from_cost_matrix(cost, weights, service_radius=500.0, p_facilities=k).solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j, v in enumerate(ref.fac_vars) if v.value() > 0.5]
    ref_value = weights[(cost[:, chosen] <= 500.0).any(axis=1)].sum()
    assert exact.covered_after == pytest.approx(ref_value)
    assert both.exact_objective == pytest.approx(ref_value)
    assert both.greedy_objective <= both.exact_objective + 1e-9
    assert both.gap == pytest.approx((ref_value - both.greedy_objective) / ref_value)
    assert both.greedy_objective >= (1 - 1 / np.e) * ref_value  # the greedy guarantee


def test_target_share_gives_fewest_sites_and_curve():
    cost, weights, covered = _instance(5, n_points=50, n_cand=20)
    model = siting.MaxCoverage.from_cost_matrix(cost, weights, 700.0, covered=covered)
    res = model.solve(target_share=0.9)
    curve = res.curve
    assert curve["share"].iloc[-1] >= 0.9 or res.notes
    if len(res.sites) > 1:
        assert curve["share"].iloc[-2] < 0.9
    assert np.all(np.diff(curve["covered"]) >= 0)


def test_capacity_limits_each_gain():
    cost, weights, _ = _instance(9)
    res = siting.MaxCoverage.from_cost_matrix(cost, weights, 900.0).solve(4, capacity=150.0)
    assert np.all(res.gains <= 150.0 + 1e-9)
    assert res.covered_after == pytest.approx(res.covered_before + res.gains.sum())


def test_bad_arguments():
    cost, weights, _ = _instance(1)
    model = siting.MaxCoverage.from_cost_matrix(cost, weights, 500.0)
    with pytest.raises(errors.InputError, match="k"):
        model.solve()
    with pytest.raises(errors.InputError, match="method"):
        model.solve(2, method="annealing")


def test_suggested_sites_really_raise_coverage_by_their_gain(hangzhou_run, tmp_path):
    """Re-run the distance engine with the suggested site added: the goal's coverage rises by the reported gain."""
    import shutil

    result, shared_dir = hangzhou_run
    run_dir = tmp_path / "run"  # a copy: the suggestions written below must not change the session's run for other tests
    shutil.copytree(shared_dir, run_dir)
    sug = siting.suggest_from_run(run_dir, "park_10min", k=2)
    goal = result.goal("park_10min")
    assert sug.summary["covered_before"] == pytest.approx(goal.covered_pop, rel=1e-9)
    walk = result.modes["walk"]
    fac = result.facilities
    parks = fac[(fac["service"] == "park") & (fac["status"] == "used")]
    geoms = np.concatenate([parks.geometry.to_numpy(), shapely.points(sug.sites["lon"], sug.sites["lat"])])
    owner, snapped = walk.index.access_points(geoms)
    graph = distances.build_access_graph(walk.net, owner, snapped)
    res = distances.nearest_facilities(graph)
    demand = result.demand
    cost, _ = distances.costs_at_points(graph, res, walk.index.snap_points(demand.lon, demand.lat))
    covered_after = demand.pop[cost <= goal.threshold_m].sum()
    assert covered_after == pytest.approx(sug.summary["covered_after"], rel=1e-6)
    assert sug.sites["marginal_gain"].sum() == pytest.approx(covered_after - goal.covered_pop, rel=1e-6)
    paths = siting.write_suggestions(sug, run_dir)
    assert all(p.is_file() for p in paths)


def test_multi_service_goal_needs_a_service(hangzhou_run):
    _, run_dir = hangzhou_run
    with pytest.raises(errors.InputError, match="service"):
        siting.suggest_from_run(run_dir, "service_circle_15min", k=1)


def test_an_implausibly_dense_hexagon_does_not_steer_sites_and_gains_stay_in_people(small_data):
    import copy

    from accessibility.run import pipeline

    result = pipeline.run(small_data / "hangzhou_hubin.osm.pbf", goals=["park_10min"])
    plain = siting.suggest_from_run(result, "park_10min", k=1)
    assert not [c for c in plain.summary["caveats"] if c["code"] == "siting.density_capped"]
    # pretend the hexagon of the first suggested site's largest uncovered group is a mis-tagged compound
    pts = result.point_costs
    uncovered = ~result.covered("park_10min")
    by_hex = pts[uncovered].groupby("h3", observed=True)["pop"].sum()
    worst = str(by_hex.idxmax())
    dense = copy.copy(result)
    dense.hexes = result.hexes.copy()
    dense.hexes.loc[dense.hexes["h3"] == worst, "density_per_km2"] = 500_000.0
    capped = siting.suggest_from_run(dense, "park_10min", k=2)
    assert any(c["code"] == "siting.density_capped" and worst in c["message"] for c in capped.summary["caveats"])
    # the gains are the people newly covered, not the capped weights: the same sites, scored uncapped, gain the same
    sites = capped.sites
    truth = siting.suggest_from_run(result, "park_10min", k=len(sites), candidates=(sites["lon"].to_numpy(), sites["lat"].to_numpy()))
    assert capped.sites["marginal_gain"].sum() == pytest.approx(truth.sites["marginal_gain"].sum())  # in any order, the same people
    assert capped.summary["covered_before"] == pytest.approx(plain.summary["covered_before"])
    assert capped.summary["covered_after"] == pytest.approx(capped.summary["covered_before"] + capped.sites["marginal_gain"].sum())


# --------------------------------------------------------------------------- suggestions a planner can take back


def _cli(*argv):
    import contextlib
    import io

    from accessibility import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bd09_run(small_data, tmp_path_factory):
    """A Baidu (BD-09) planner's run: the committed care homes converted to BD-09, in a GBK CSV."""
    import pandas as pd

    from accessibility.coords import chinacoords

    tmp = tmp_path_factory.mktemp("bd09_planner")
    homes = pd.read_excel(small_data / "hubin_elderly_care_gcj02.xlsx", header=1)
    homes = homes[pd.to_numeric(homes["经度"], errors="coerce").between(73, 135)]  # the swapped and the empty rows left out
    x, y = chinacoords.gcj02_to_bd09(homes["经度"].to_numpy(float), homes["纬度"].to_numpy(float))
    homes.assign(经度=np.round(x, 7), 纬度=np.round(y, 7)).to_csv(tmp / "homes_bd09.csv", index=False, encoding="gbk")
    out = tmp / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCESSIBILITY_LOG_DIR", str(tmp / "logs"))
        mp.setenv("ACCESSIBILITY_CACHE", str(tmp / "cache"))
        code, _, err = _cli("-q", "run", "--osm", small_data / "hangzhou_hubin.osm.pbf", "--population", small_data / "hangzhou_hubin_pop_3arcsec.tif",
                            "--facilities", tmp / "homes_bd09.csv", "--service", "elderly_care", "--facilities-crs", "bd09",
                            "--goal", "elderly_care_1km", "--goal", "park_10min", "--no-briefing", "--out", out)
        assert code == 0, err
        yield out


def _read(path):
    import pandas as pd

    return pd.read_csv(path, encoding="utf-8-sig", dtype={"lon": str, "lat": str, "lon_bd09": str, "lat_bd09": str})


def test_a_bd09_planner_gets_bd09_coordinates_back(bd09_run):
    from accessibility.coords import chinacoords, geodesy
    from accessibility.run.read import read_run

    code, out, err = _cli("suggest", bd09_run, "--goal", "elderly_care_1km", "--k", "2")
    assert code == 0, err
    sites = _read(bd09_run / "suggestions_elderly_care_1km.csv")
    assert len(sites) == 2 and "lon_gcj02" not in sites  # the planner declared BD-09 only
    assert all(len(v.split(".")[1]) <= 6 for c in ("lon", "lat", "lon_bd09", "lat_bd09") for v in sites[c])  # 6 decimals, ~0.1 m
    lon, lat = chinacoords.bd09_to_wgs84(sites["lon_bd09"].astype(float).to_numpy(), sites["lat_bd09"].astype(float).to_numpy())
    assert geodesy.haversine_m(lon, lat, sites["lon"].astype(float).to_numpy(), sites["lat"].astype(float).to_numpy()).max() < 1.0
    assert f"(bd09: {float(sites['lon_bd09'][0]):.6f}, {float(sites['lat_bd09'][0]):.6f})" in out
    # the numbers a planner reads: whole people adding up, whole metres, the streets by name
    s = json.loads((bd09_run / "suggestions_elderly_care_1km.json").read_text(encoding="utf-8"))
    assert sites["marginal_gain"].dtype.kind == "i" and sites["snap_dist_m"].dtype.kind == "i" and sites["covered_after"].dtype.kind == "i"
    assert sites["marginal_gain"].sum() == s["covered_after"] - s["covered_before"] and s["coordinate_systems"] == ["wgs84", "bd09"]
    names = set(read_run(bd09_run).modes["walk"].net.edges["name"])
    assert all(part in names for street in sites["street"] for part in street.split(" / ")) and sites["street"].str.len().gt(0).all()


def test_candidates_from_a_gbk_file_in_bd09(bd09_run, tmp_path):
    import hashlib

    import pandas as pd

    from accessibility.coords import chinacoords

    wgs = np.array([[120.1600, 30.2600], [120.1650, 30.2700], [120.1580, 30.2750]])
    bx, by = chinacoords.wgs84_to_bd09(wgs[:, 0], wgs[:, 1])
    rows = [f"地块{c},{x:.7f},{y:.7f}" for c, x, y in zip("甲乙丙", bx, by, strict=True)] + ["地块丁,,"]
    (tmp_path / "cand.csv").write_bytes(("名称,经度,纬度\n" + "\n".join(rows) + "\n").encode("gbk"))
    code, out, err = _cli("suggest", bd09_run, "--goal", "park_10min", "--k", "1", "--candidates", tmp_path / "cand.csv", "--candidates-crs", "bd09")
    assert code == 0, err
    assert "GBK" in out and "row 5: missing coordinates" in out  # the empty row is named, not silently dropped
    first = bd09_run / "suggestions_park_10min.csv"
    site = _read(first).iloc[0]
    k = "甲乙丙".index(site["candidate_name"][-1])
    assert (float(site["lon"]), float(site["lat"])) == pytest.approx(tuple(wgs[k]), abs=2e-6)  # read as BD-09, not as WGS-84
    assert (float(site["lon_bd09"]), float(site["lat_bd09"])) == pytest.approx((bx[k], by[k]), abs=2e-6)
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    code, out, err = _cli("suggest", bd09_run, "--goal", "park_10min", "--k", "1")
    assert code == 0, err
    assert hashlib.sha256(first.read_bytes()).hexdigest() == digest  # the earlier suggestion is kept
    assert "earlier suggestions for park_10min are kept" in out and (bd09_run / "suggestions_park_10min-2.csv").is_file()
    assert len(pd.read_csv(bd09_run / "suggestions_park_10min-2.csv", encoding="utf-8-sig")) == 1


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"a,b\n1,2\n", "--lon-col"),
        ("名称,经度,纬度\n地块,东经,北纬\n".encode("gbk"), "none of its 1 rows can be used"),
        (b"\x00\x01\x02\xff\xfe" * 50, "cand.csv"),
    ],
    ids=["no-lon-lat-columns", "no-usable-row", "binary"],
)
def test_bad_candidates_files_are_refused_with_a_sentence(bd09_run, tmp_path, content, fragment):
    (tmp_path / "cand.csv").write_bytes(content)
    code, _, err = _cli("suggest", bd09_run, "--goal", "park_10min", "--k", "1", "--candidates", tmp_path / "cand.csv")
    assert code == 2 and fragment in err and "cand.csv" in err and "Traceback" not in err


def test_street_names_next_to_a_site(tmp_path):
    import synthetic

    from accessibility.network import snapping
    from accessibility.run import pipeline
    from accessibility.run.inputs import RunOptions
    from accessibility.tools import sitefiles

    run = pipeline.run(synthetic.grid_osm(tmp_path / "grid.osm", n=4, spacing_m=100.0), goals=["park_10min"], options=RunOptions(cache=False))
    dlon, dlat = synthetic._deg_lon(synthetic.LAT0), synthetic.DEG_LAT  # degrees per metre

    def at(x_m, y_m):
        return synthetic.LON0 + x_m * dlon, synthetic.LAT0 + y_m * dlat

    pts = np.array([at(250, 105), at(204, 103), at(-150, 150), at(-400, 0)])  # by Row 1; by Row 1 and Column 2; 150 m west; 400 m west
    names = sitefiles.street_names(snapping.EdgeIndex(run.modes["walk"].net), pts[:, 0], pts[:, 1])
    assert names.tolist() == ["Row 1", "Row 1 / Column 2", "Column 0", ""]

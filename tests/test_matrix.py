"""Origin-destination cost matrix: a hand-computed grid, a networkx oracle on real streets, agreement with `query`, the CLI."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import synthetic
from cli_support import run_cli
from pyproj import Geod

from accessibility import config, errors
from accessibility.coords import chinacoords
from accessibility.readers.facility_files import FacilityInput
from accessibility.run import pipeline
from accessibility.run.inputs import PopulationInput, RunOptions
from accessibility.tools import matrix, query

DRIVE_GOAL = config.Goal(id="park_drive_5min", name_zh="驾车5分钟到公园", name_en="Park within 5 minutes by car", services=("park",), max_time_s=300.0, mode="drive")


# --------------------------------------------------------------------------- a grid by hand


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    osm = synthetic.grid_osm(tmp_path_factory.mktemp("od_grid") / "grid.osm", n=4, spacing_m=100.0)
    return pipeline.run(osm, goals=["park_10min"], options=RunOptions(cache=False))


def _at(i: float, j: float, north_m: float = 0.0) -> tuple[float, float]:
    """Position on the 100 m grid: junction (i, j), or between junctions, ``north_m`` (nominal metres) north of it."""
    dlon, dlat = 100.0 * synthetic._deg_lon(synthetic.LAT0), 100.0 * synthetic.DEG_LAT
    return synthetic.LON0 + i * dlon, synthetic.LAT0 + (j + north_m / 100.0) * dlat


def test_grid_distances_by_hand(grid_run):
    edges = grid_run.modes["walk"].net.edges
    row = edges.loc[edges["name"] == "Row 1", "length_m"].iloc[0]  # one block east-west (~99.89 m on these coordinates)
    col = edges.loc[edges["name"] == "Column 0", "length_m"].iloc[0]  # one block north-south
    # the grid's nominal metre of latitude on the ellipsoid (the walk to the street is measured in metres on the ground)
    metre_north = Geod(ellps="WGS84").inv(*_at(0, 0), *_at(0, 0, 100.0))[2] / 100.0
    pts = pd.DataFrame(
        [("A", *_at(0, 0)), ("B", *_at(2, 1)), ("C", *_at(0.5, 0)), ("D", *_at(0.5, 2)), ("E", *_at(1.2, 3)), ("F", *_at(1.7, 3)), ("G", *_at(2.5, 1, 20.0))],
        columns=["id", "lon", "lat"],
    )
    od = matrix.od_matrix(grid_run, origins=pts, destinations=pts)
    got = od.set_index(["origin_id", "destination_id"])["dist_m"]
    assert len(od) == 49  # every pair, both ways
    assert got["A", "B"] == pytest.approx(2 * row + col, abs=0.05)
    assert got["C", "D"] == pytest.approx(0.5 * row + 2 * col + 0.5 * row, abs=0.05)  # to a corner, two blocks up, back along
    assert got["E", "F"] == pytest.approx(0.5 * row, abs=0.05)  # the same piece of street: straight along it
    assert got["A", "G"] == pytest.approx(2.5 * row + col + 20 * metre_north, abs=0.05)  # G stands 20 m off the street
    assert got["B", "A"] == pytest.approx(got["A", "B"], abs=1e-9)  # walking is undirected
    np.testing.assert_allclose(od["time_s"], od["dist_m"] / grid_run.speed_m_s("walk"))
    # the clinic stands 25 m north of Row 2, half way between Columns 2 and 3
    clinic = matrix.od_matrix(grid_run, origins=pts.iloc[:1], service="public_health")
    assert clinic["destination_name"].tolist() == ["Grid Clinic"]
    assert clinic["dist_m"].iloc[0] == pytest.approx(2.5 * row + 2 * col + 25 * metre_north, abs=0.05)


def test_limit_and_unrouted_points_are_listed(grid_run):
    far_lon, far_lat = _at(0, 0, -20_000.0)
    pts = pd.DataFrame({"id": ["A", "E", "far", "empty"], "name": ["甲", "乙", "丙", "丁"], "lon": [_at(0, 0)[0], _at(1.2, 3)[0], far_lon, np.nan],
                        "lat": [_at(0, 0)[1], _at(1.2, 3)[1], far_lat, np.nan]})
    od = matrix.od_matrix(grid_run, origins=pts, destinations=pts, max_dist_m=200.0)
    assert set(zip(od["origin_id"], od["destination_id"], strict=True)) == {("A", "A"), ("E", "E")}  # A-E is ~420 m
    assert (od["dist_m"] <= 200.0).all() and od["origin_name"].tolist() == ["甲", "乙"]
    missing = matrix.unrouted_table(od)
    by = {(r.side, r.id): r.reason for r in missing.itertuples()}
    assert "outside the run's area" in by["origin", "far"] and "invalid coordinates" in by["destination", "empty"]
    assert len(missing) == 4  # both unusable rows, on both sides; A and E reach themselves


# --------------------------------------------------------------------------- real streets: networkx and query


@pytest.fixture(scope="module")
def hubin(small_data, tmp_path_factory):
    """The Hubin clip with the rasters, the GCJ-02 care homes and a driving goal, written to a folder."""
    out = tmp_path_factory.mktemp("od_hubin") / "run"
    goals = (*[g for g in config.load_goals() if g.id in ("elderly_care_1km", "park_10min")], DRIVE_GOAL)
    result = pipeline.run(
        small_data / "hangzhou_hubin.osm.pbf",
        population=PopulationInput(raster=small_data / "hangzhou_hubin_pop_3arcsec.tif"),
        facilities=[FacilityInput(small_data / "hubin_elderly_care_gcj02.xlsx", service="elderly_care", crs="gcj02")],
        goals=goals, options=RunOptions(cache=False), out=out,
    )
    return result, out


def _oracle(state, weight: str, o_snap, d_snap) -> tuple[np.ndarray, np.ndarray]:
    """Independent answer: every point inserted into its edge, one networkx Dijkstra per origin (cost and metres)."""
    net = state.net
    e_cost, e_len = net.edge_weight(weight), net.edge_weight("length")
    snap_speed = 1.0  # the walk between a point and its street, in the time graphs
    inserts: dict[int, list] = {}
    for tag, s in (("o", o_snap), ("d", d_snap)):
        for i, (e, t) in enumerate(zip(s.edge, s.t, strict=True)):
            inserts.setdefault(int(e), []).append((float(t), (tag, i)))
    g = nx.DiGraph()
    edges = net.edges
    for e, (u, v, fw, bw) in enumerate(zip(edges["u"], edges["v"], edges["forward"], edges["backward"], strict=True)):
        chain = [(0.0, int(u)), *sorted(inserts.get(e, []), key=lambda p: p[0]), (1.0, int(v))]
        for (t0, a), (t1, b) in itertools.pairwise(chain):
            w, m = (t1 - t0) * e_cost[e], (t1 - t0) * e_len[e]
            for x, y, ok in ((a, b, fw or t1 == t0), (b, a, bw or t1 == t0)):
                if ok and (not g.has_edge(x, y) or g[x][y]["w"] > w):
                    g.add_edge(x, y, w=w, m=m)
    cost = np.full((len(o_snap), len(d_snap)), np.inf)
    length = np.full_like(cost, np.inf)
    div = snap_speed if weight == "time" else 1.0
    for i in range(len(o_snap)):
        dist, paths = nx.single_source_dijkstra(g, ("o", i), weight="w")
        for j in range(len(d_snap)):
            if ("d", j) in dist:
                path = paths["d", j]
                cost[i, j] = (o_snap.snap_dist_m[i] + d_snap.snap_dist_m[j]) / div + dist["d", j]
                length[i, j] = o_snap.snap_dist_m[i] + d_snap.snap_dist_m[j] + sum(g[a][b]["m"] for a, b in itertools.pairwise(path))
    return cost, length


@pytest.mark.parametrize(("mode", "weight"), [("walk", "length"), ("drive", "time")])
def test_networkx_agrees_on_real_streets(hubin, mode, weight):
    result, _ = hubin
    state = result.modes[mode]
    rng = np.random.default_rng(7)
    pts = result.point_costs.iloc[rng.choice(len(result.point_costs), 40, replace=False)]
    nodes = state.net.nodes.iloc[rng.choice(len(state.net.nodes), 6, replace=False)]  # points right on junctions too
    lon = np.r_[pts["lon"].to_numpy(), nodes["lon"].to_numpy()]
    lat = np.r_[pts["lat"].to_numpy(), nodes["lat"].to_numpy()]
    origins = pd.DataFrame({"id": np.arange(30), "lon": lon[:30], "lat": lat[:30]})
    dests = pd.DataFrame({"id": np.arange(30, 46), "lon": lon[30:], "lat": lat[30:]})
    od = matrix.od_matrix(result, origins=origins, destinations=dests, mode=mode)
    cost, length = _oracle(state, weight, state.index.snap_points(lon[:30], lat[:30]), state.index.snap_points(lon[30:], lat[30:]))
    assert len(od) == int(np.isfinite(cost).sum()) > 300  # one-way streets may leave a few pairs unreachable by car
    i, j = od["origin_id"].to_numpy(int), od["destination_id"].to_numpy(int) - 30
    if weight == "length":
        np.testing.assert_allclose(od["dist_m"], cost[i, j], rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(od["time_s"], cost[i, j], rtol=0, atol=1e-6)
        np.testing.assert_allclose(od["dist_m"], length[i, j], rtol=1e-9, atol=1e-6)  # the metres of that fastest route


def test_nearest_facility_agrees_with_query(hubin, small_data):
    result, _ = hubin
    frame, lon, lat, _ = query.read_points(small_data / "hubin_points.csv")
    answers = query.query_points(result, lon[:4], lat[:4])
    for service in ("elderly_care", "park", "public_health", "sports_fitness"):
        od = matrix.od_matrix(result, origins=small_data / "hubin_points.csv", service=service)
        nearest = od.groupby("origin_id")["dist_m"].min()
        np.testing.assert_allclose(nearest.loc[frame.index[:4]].to_numpy(), answers[f"{service}_dist_m"].to_numpy(), rtol=1e-12, err_msg=service)
        first = od.sort_values("dist_m").groupby("origin_id")["destination_id"].first().loc[frame.index[:4]]
        assert first.tolist() == answers[f"{service}_facility"].tolist()
    assert matrix.unrouted_table(od)["id"].tolist() == [frame.index[4]]  # the point outside the study area, listed


def test_bad_arguments(hubin):
    result, _ = hubin
    pts = pd.DataFrame({"lon": [120.16], "lat": [30.26]})
    with pytest.raises(errors.InputError, match="no 'bike' network"):
        matrix.od_matrix(result, origins=pts, mode="bike")
    with pytest.raises(errors.InputError, match="unknown service"):
        matrix.od_matrix(result, origins=pts, service="zoo")
    with pytest.raises(errors.InputError, match="max_dist_m"):
        matrix.od_matrix(result, origins=pts, max_dist_m=-5)


# --------------------------------------------------------------------------- the command line


def test_cli_writes_a_planner_csv_in_gcj02(hubin, small_data, tmp_path):
    _, run = hubin
    given = pd.read_csv(small_data / "hubin_points.csv", encoding="utf-8")
    x, y = chinacoords.wgs84_to_gcj02(given["经度"].to_numpy(), given["纬度"].to_numpy())
    gcj = given.assign(经度=np.round(x, 7), 纬度=np.round(y, 7), 名称=["=HYPERLINK(1)", *given["名称"][1:]])
    gcj.to_csv(tmp_path / "gcj.csv", index=False, encoding="gbk")
    code, out, err = run_cli("matrix", run, "--from", tmp_path / "gcj.csv", "--from-crs", "gcj02", "--service", "elderly_care", "--max-dist-m", "1500",
                             "--out", tmp_path / "od.csv")
    assert code == 0, err
    od = pd.read_csv(tmp_path / "od.csv", encoding="utf-8-sig")
    assert list(od.columns[:4]) == list(matrix.OD_COLUMNS) and (od["dist_m"] <= 1500).all()
    assert "'=HYPERLINK(1)" in set(od["origin_name"])  # formula-safe for Excel/WPS
    wgs = matrix.od_matrix(run, origins=small_data / "hubin_points.csv", service="elderly_care", max_dist_m=1500)
    np.testing.assert_allclose(od["dist_m"], wgs["dist_m"].round(1), atol=0.15)  # GCJ-02 read back onto the same streets
    unrouted = pd.read_csv(tmp_path / "od_unrouted.csv", encoding="utf-8-sig")
    assert unrouted.loc[unrouted["side"] == "origin", "name"].tolist() == ["研究区外"] and "unrouted" in out
    assert set(unrouted.loc[unrouted["side"] == "destination", "reason"]) == {"reached from no origin within 1500 m"}


def test_cli_errors_are_sentences(hubin, tmp_path):
    _, run = hubin
    code, _, err = run_cli("matrix", run, "--from", tmp_path / "missing.csv", "--out", tmp_path / "od.parquet")
    assert code == 2 and "missing.csv" in err and "Traceback" not in err
    (tmp_path / "nocols.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = run_cli("matrix", run, "--from", tmp_path / "nocols.csv", "--out", tmp_path / "od.parquet")
    assert code == 2 and "longitude" in err and "--from-lon-col" in err and "Traceback" not in err
    code, _, err = run_cli("matrix", run, "--from", tmp_path / "nocols.csv", "--out", tmp_path / "od.xlsx")
    assert code == 2 and ".parquet or .csv" in err

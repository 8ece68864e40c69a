"""Site suggestions: exact equals spopt, greedy within its gap, suggested sites really add coverage."""

from __future__ import annotations

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


def test_suggested_sites_really_raise_coverage_by_their_gain(hangzhou_run):
    """Re-run the distance engine with the suggested site added: the goal's coverage rises by the reported gain."""
    result, run_dir = hangzhou_run
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

"""Provision ratios: 2SFCA/E2SFCA equal PySAL access's on the same cost table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility import errors
from accessibility.run.inputs import AreaInput
from accessibility.tools import provision


def _random_table(seed: int, n_points: int = 60, n_fac: int = 8):
    rng = np.random.default_rng(seed)
    pairs = pd.DataFrame(
        [(p, f, float(rng.uniform(0, 1200))) for p in range(n_points) for f in range(n_fac) if rng.random() < 0.5],
        columns=["point", "facility", "cost"],
    )
    demand = rng.uniform(1, 500, n_points)
    supply = rng.uniform(10, 200, n_fac)
    return pairs, demand, supply


def _pysal(pairs, demand, supply, max_cost, weight_fn=None, enhanced=False):
    from access import Access

    dem = pd.DataFrame({"pop": demand}, index=pd.Index(np.arange(len(demand)), name="point"))
    sup = pd.DataFrame({"cap": supply}, index=pd.Index(np.arange(len(supply)), name="facility"))
    acc = Access(
        demand_df=dem, demand_value="pop", supply_df=sup, supply_value="cap",
        cost_df=pairs, cost_origin="point", cost_dest="facility", cost_name="cost",
    )
    out = acc.enhanced_two_stage_fca(name="e2", max_cost=max_cost, weight_fn=weight_fn) if enhanced else acc.two_stage_fca(name="f2", max_cost=max_cost)
    return out.iloc[:, 0].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_2sfca_equals_pysal_access(seed):
    pairs, demand, supply = _random_table(seed)
    ours, _ = provision.two_step_fca(
        pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy(), demand=demand, supply=supply, max_cost=1000.0
    )
    np.testing.assert_allclose(ours, _pysal(pairs, demand, supply, 1000.0), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", [3, 4])
def test_e2sfca_equals_pysal_access_with_step_weights(seed):
    from access import weights

    pairs, demand, supply = _random_table(seed)
    steps = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
    catchment = 1000.0
    w = provision.step_weights(pairs["cost"].to_numpy(), catchment, steps)
    ours, _ = provision.two_step_fca(
        pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy(),
        demand=demand, supply=supply, max_cost=catchment, weight=w,
    )
    fn = weights.step_fn({catchment * a: b for a, b in steps})
    np.testing.assert_allclose(ours, _pysal(pairs, demand, supply, catchment, weight_fn=fn, enhanced=True), rtol=1e-10, atol=1e-12)


def test_step_weights_match_pysal_step_fn_at_the_boundaries():
    from access import weights

    steps = ((0.25, 1.0), (0.5, 0.5), (1.0, 0.1))
    costs = np.array([0.0, 250.0, 250.0001, 500.0, 999.9, 1000.0, 1000.1])
    fn = weights.step_fn({1000 * a: b for a, b in steps})
    np.testing.assert_allclose(provision.step_weights(costs, 1000.0, steps), [fn(c) for c in costs])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_supply_is_conserved(seed):
    """Sum over residents of people x access equals the supply of facilities that have anyone in reach."""
    pairs, demand, supply = _random_table(seed, n_points=25, n_fac=5)
    access, ratio = provision.two_step_fca(
        pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy(), demand=demand, supply=supply, max_cost=900.0
    )
    reached = np.isfinite(ratio)
    assert (demand * access).sum() == pytest.approx(supply[reached].sum(), rel=1e-9)


def test_more_supply_never_lowers_access():
    pairs, demand, supply = _random_table(7)
    args = (pairs["point"].to_numpy(), pairs["facility"].to_numpy(), pairs["cost"].to_numpy())
    a1, _ = provision.two_step_fca(*args, demand=demand, supply=supply, max_cost=1000.0)
    more = supply.copy()
    more[2] *= 3
    a2, _ = provision.two_step_fca(*args, demand=demand, supply=more, max_cost=1000.0)
    assert np.all(a2 >= a1 - 1e-12)
    assert np.any(a2 > a1)


def test_sports_area_on_hangzhou_run(hangzhou_run):
    """OSM polygons carry their area, so sports ground area per person is measurable on real data."""
    _, run_dir = hangzhou_run
    res = provision.provision_from_run(run_dir, "sports_area_per_person")
    sm = res.summary
    assert sm["facilities_with_supply"] > 10
    assert sum(sm["class_share"].values()) == pytest.approx(1.0)
    # pop-weighted mean access equals reached supply / population, below the overall ratio
    assert sm["mean_access_2sfca"] <= sm["overall_ratio"] + 1e-9
    assert res.hexes["people"].sum() == pytest.approx(sm["total_population"], rel=1e-9)
    paths = provision.write_provision(res, run_dir)
    assert all(p.is_file() for p in paths)


def test_missing_capacities_are_a_clear_error(hangzhou_run):
    _, run_dir = hangzhou_run
    with pytest.raises(errors.EmptyLayerError, match="beds"):
        provision.provision_from_run(run_dir, "elderly_beds_per_10k")


def test_per_district_provision_adds_up(hangzhou_pbf, shared_data, tmp_path):
    """With districts (DataV, GCJ-02) the per-district people add up to the total, and so does located supply."""
    from accessibility.run import pipeline

    districts = shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json"
    run_dir = tmp_path / "run"
    pipeline.run(hangzhou_pbf, areas=AreaInput(districts=districts_input(districts)), out=run_dir)
    res = provision.provision_from_run(run_dir, "sports_area_per_person")
    rows = res.summary["by_district"]
    assert {r["district_name"] for r in rows} >= {"西湖区", "上城区"}
    assert sum(r["people"] for r in rows) == pytest.approx(res.summary["total_population"], rel=1e-9)
    assert sum(r["supply_located"] for r in rows) == pytest.approx(res.summary["total_supply"], rel=1e-9)
    west_lake = next(r for r in rows if r["district_name"] == "西湖区")
    assert west_lake["people"] > 0 and west_lake["mean_access_2sfca"] > 0


def districts_input(path):
    from accessibility.readers import zones

    return zones.DistrictInput(path=path, crs="gcj02")

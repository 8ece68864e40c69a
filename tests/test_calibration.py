"""Calibration to census counts per district, the Zhejiang older shares, the culture layer and the new goals."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accessibility import config, errors
from accessibility.cli import _add_run_options
from accessibility.cli.options import spec_kwargs
from accessibility.readers import zones
from accessibility.stages import calibration as cal
from accessibility.stages import districts as districts_stage
from accessibility.stages import facilities
from accessibility.stages.population import ZHEJIANG_OLDER_SHARE_2020, Demand

HANGZHOU = pd.DataFrame({"district_id": ["330102", "330106", "330108"], "district_name": ["上城区", "西湖区", "滨江区"]})


def demand(pop, older=None, n=None) -> Demand:
    pop = np.asarray(pop, np.float64)
    older = pop * 0.187 if older is None else np.asarray(older, np.float64)
    n = len(pop) if n is None else n
    return Demand(np.linspace(120.1, 120.2, n), np.full(n, 30.25), pop, older, "estimate: residential buildings", "18.7% of the estimated total", True)


def write_csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def table(rows: list[tuple[str, str, float, float]]) -> cal.CensusTable:
    """A census table made in memory: (code, name, pop, older)."""
    frame = pd.DataFrame(rows, columns=["code", "name", "pop", "older"], index=pd.RangeIndex(2, len(rows) + 2, name="source_row"))
    code12 = cal._code12(frame["code"])
    parsed = pd.DataFrame(
        {"code": code12, "code_text": frame["code"].to_numpy(), "name": frame["name"].to_numpy(), "pop": frame["pop"].to_numpy(float),
         "older": frame["older"].to_numpy(float), "total_row": False},
        index=frame.index,
    )
    return cal.CensusTable(rows=parsed, raw=frame, rejects=pd.DataFrame(), notes=[], file="census.csv")


# --------------------------------------------------------------------------- reading


def test_read_census_finds_columns_skips_titles_and_reads_wan(tmp_path):
    path = write_csv(
        tmp_path / "census.csv",
        "杭州市第七次人口普查 分区县常住人口\n区划代码,地区,常住人口（万人）,60岁及以上占比\n330106,西湖区,108.9229,13.5%\n330108,滨江区,50.3859,9\n,合计,159.3088,\n"
        "330102,上城区,待定,20\n,,,\n",
        encoding="gbk",
    )
    t = cal.read_census(path)
    assert list(t.rows.index) == [3, 4, 5]  # the file's row numbers; the blank row is skipped
    np.testing.assert_allclose(t.rows["pop"], [1_089_229, 503_859, 1_593_088])
    np.testing.assert_allclose(t.rows["older"][:2], [1_089_229 * 0.135, 503_859 * 0.09])
    assert t.rows["total_row"].tolist() == [False, False, True]
    assert t.rows["code"].tolist()[:2] == ["330106000000", "330108000000"]
    assert len(t.rejects) == 1 and t.rejects["source_row"].tolist() == [6] and "待定" in t.rejects["reason"][0]
    assert t.rejects["action"].tolist() == ["rejected"] and "区划代码" in t.rejects.columns
    assert any("万" in n for n in t.notes) and any("percent" in n for n in t.notes)


def test_read_census_xlsx_with_named_columns(tmp_path):
    path = tmp_path / "census.xlsx"
    pd.DataFrame({"单位": ["北山街道", "西溪街道"], "人数": [40_000, 60_000], "老人": [9_000, 12_000]}).to_excel(path, index=False, sheet_name="街道")
    t = cal.read_census(cal.CensusInput(path, name_col="单位", pop_col="人数", older_col="老人", sheet="街道"))
    assert t.rows["name"].tolist() == ["北山街道", "西溪街道"]
    np.testing.assert_allclose(t.rows["older"], [9_000, 12_000])
    with pytest.raises(TypeError):
        cal.read_census(cal.CensusInput(path), pop_col="人数")


def test_read_census_without_population_column_names_the_option(tmp_path):
    path = write_csv(tmp_path / "c.csv", "地区,面积\n西湖区,312\n")
    with pytest.raises(errors.InputError, match="--census-pop-col"):
        cal.read_census(path)


def test_older_count_above_population_is_rejected(tmp_path):
    path = write_csv(tmp_path / "c.csv", "代码,常住人口,60岁及以上人口\n330106,100,150\n330108,100,20\n")
    t = cal.read_census(path)
    assert t.rows["code_text"].tolist() == ["330108"]
    assert "older" in t.rejects["reason"][0]


# --------------------------------------------------------------------------- joining


def test_code_join_adds_streets_into_districts_and_reports_the_rest(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        "区划代码,地区,常住人口,60岁及以上人口\n330100,杭州市,11936010,2013297\n330106001,北山街道,40000,8000\n330106002,西溪街道,60000,9000\n"
        "330102,上城区,1323467,250000\n330102001,清波街道,1000,10\n330199,不存在区,5,1\n330102,上城区,9,1\n,合计,1,1\n",
    )
    t = cal.read_census(path)
    match, rejects, notes = cal.join_census(t, HANGZHOU)
    assert match.tolist() == [-1, 1, 1, 0, -1, -1, -1, -1]
    why = dict(zip(rejects["source_row"], zip(rejects["action"], rejects["reason"], strict=True), strict=True))
    assert why[2][0] == "skipped" and "larger unit" in why[2][1]  # the city row contains the districts
    assert why[6][0] == "skipped" and "own row (row 5)" in why[6][1]  # a street of 上城区, which has its own row
    assert why[7][0] == "rejected" and "330199" in why[7][1]
    assert why[8][0] == "skipped" and "second row" in why[8][1]
    assert why[9][0] == "skipped" and "total" in why[9][1]
    assert "2 street rows added up" in notes[0] and any("1 row match no district" in n for n in notes)


def test_twelve_digit_codes_meet_nine_digit_street_districts():
    streets = pd.DataFrame({"district_id": ["330106001", "330106002"], "district_name": ["北山街道", "西溪街道"]})
    t = table([("330106001000", "北山街道", 40_000, 8_000), ("330106002000", "西溪", 60_000, 9_000), ("330106", "西湖区", 100_000, 17_000)])
    match, rejects, _ = cal.join_census(t, streets)
    assert match.tolist() == [0, 1, -1]
    assert "larger unit" in rejects["reason"][0]  # a district row cannot be split into its streets


def test_name_join_with_and_without_suffixes():
    named = pd.DataFrame({"district_id": ["上城区", "西湖区", "滨江区", "北山街道"], "district_name": ["上城区", "西湖区", "滨江区", "北山街道"]})
    t = table([("", "杭州市上城区", 1, 0), ("", "西湖", 2, 0), ("", " 滨江区 ", 3, 0), ("", "北山", 4, 0), ("", "拱墅区", 5, 0)])
    match, rejects, notes = cal.join_census(t, named)
    assert match.tolist() == [0, 1, 2, 3, -1]
    assert rejects["source_row"].tolist() == [6] and "拱墅区" in rejects["reason"][0]
    assert "4 by name" in notes[0]
    # a short name shared by two districts matches neither
    both = pd.DataFrame({"district_id": ["a", "b"], "district_name": ["西湖区", "西湖街道"]})
    match, _, _ = cal.join_census(table([("", "西湖", 1, 0), ("", "西湖街道", 2, 0)]), both)
    assert match.tolist() == [-1, 1]


def test_codes_that_do_not_match_fall_back_to_names():
    t = table([("330113", "临平区", 1_175_841, 0), ("330199", "西湖区", 10, 1)])  # 临平区 (2021) is not in a 2020 layer
    match, rejects, _ = cal.join_census(t, HANGZHOU)
    assert match.tolist() == [-1, 1]
    assert "330113" in rejects["reason"][0]


# --------------------------------------------------------------------------- calibration


def test_factor_table_hand_computed():
    d = demand([10.0, 20.0, 30.0, 40.0, 5.0], [2.0, 4.0, 6.0, 8.0, 1.0])
    district = np.array([0, 1, 1, -1, 2])
    t = table([("330102", "上城区", 100.0, np.nan), ("330106", "西湖区", 500.0, 50.0)])
    res = cal.calibrate_demand(d, district, HANGZHOU, t)
    f = res.factors.set_index("district_name")
    assert f.loc["上城区", "factor"] == pytest.approx(10.0) and f.loc["西湖区", "factor"] == pytest.approx(10.0)
    assert f.loc["西湖区", "older_factor"] == pytest.approx(5.0)  # 50 census older people for 10 estimated
    assert f.loc["上城区", "older_factor"] == pytest.approx(10.0)  # no census older: the estimate's own share
    assert f["status"].tolist() == ["scaled", "scaled", "no_census_row", "outside"]
    np.testing.assert_allclose(res.demand.pop, [100.0, 200.0, 300.0, 40.0, 5.0])
    np.testing.assert_allclose(res.demand.older, [20.0, 20.0, 30.0, 8.0, 1.0])
    assert f.loc["(outside the districts)", "pop"] == 40.0 and f["pop"].sum() == pytest.approx(res.demand.total)
    assert res.demand.is_estimate and "calibrated" in res.demand.source
    text = "\n".join(res.demand.notes)
    assert "without a census row keep their estimate (1 district, 5 people): 330108 滨江区" in text
    assert "40 people live outside every district" in text


def test_older_shares_apply_where_the_census_has_no_older_people():
    d = demand([10.0, 10.0, 10.0], [0.0, 0.0, 3.0])
    t = table([("330102", "上城区", 100.0, np.nan), ("330106", "西湖区", 50.0, np.nan), ("330108", "滨江区", 20.0, np.nan)])
    shares = cal.older_shares_for(HANGZHOU["district_id"])["older_share"].to_numpy(copy=True)
    shares[2] = np.nan  # 滨江区: keep the estimate's own share
    res = cal.calibrate_demand(d, np.array([0, 1, 2]), HANGZHOU, t, older_shares=shares)
    hz = 2_013_297 / 11_936_010
    np.testing.assert_allclose(res.demand.older, [100 * hz, 50 * hz, 6.0])  # no older people estimated: spread like everyone
    with pytest.raises(ValueError, match="older_shares"):
        cal.calibrate_demand(d, np.array([0, 1, 2]), HANGZHOU, t, older_shares=np.ones(2))


def test_districts_without_residents_and_bad_district_arrays():
    d = demand([10.0])
    t = table([("330102", "上城区", 100.0, 10.0), ("330108", "滨江区", 20.0, 2.0)])
    res = cal.calibrate_demand(d, np.array([0]), HANGZHOU, t)
    assert res.factors["status"].tolist() == ["scaled", "no_census_row", "no_residents"]
    assert any("not placed" in n and "20 people" in n for n in res.notes)
    for bad in (np.array([3]), np.array([0, 0]), np.array([0.0])):
        with pytest.raises(ValueError, match="district"):
            cal.calibrate_demand(d, bad, HANGZHOU, t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(1, 5),
    points=st.lists(st.tuples(st.integers(-1, 4), st.floats(0, 1e5), st.floats(0, 1)), max_size=40),
    census=st.lists(st.tuples(st.floats(0, 1e7), st.one_of(st.none(), st.floats(0, 1))), min_size=5, max_size=5),
    with_row=st.lists(st.booleans(), min_size=5, max_size=5),
)
@example(k=4, points=[(3, 5e-324, 0.0)], census=[(0.0, None)] * 3 + [(1.0, None), (0.0, None)], with_row=[False, False, False, True, False])
def test_calibration_conserves_every_district_total(k, points, census, with_row):
    """Each district with a census row and residents holds its count exactly (float rounding); everyone else is unchanged."""
    district = np.array([min(p[0], k - 1) for p in points], dtype=np.int64)
    pop = np.array([p[1] for p in points])
    older = pop * np.array([p[2] for p in points])
    d = demand(pop, older)
    districts = pd.DataFrame({"district_id": [f"3301{i + 2:02d}" for i in range(k)], "district_name": [f"d{i}" for i in range(k)]})
    rows = [(districts["district_id"][i], f"d{i}", census[i][0], np.nan if census[i][1] is None else census[i][0] * census[i][1]) for i in range(k) if with_row[i]]
    res = cal.calibrate_demand(d, district, districts, table(rows))
    new_pop, new_older = res.demand.pop, res.demand.older
    by_id = {r[0]: r for r in rows}
    for i in range(k):
        sel = district == i
        row = by_id.get(districts["district_id"][i])
        if row is not None and pop[sel].sum() > 1e-6:
            assert new_pop[sel].sum() == pytest.approx(row[2], rel=1e-9, abs=1e-6)
            if np.isfinite(row[3]):
                assert new_older[sel].sum() == pytest.approx(row[3], rel=1e-9, abs=1e-6)
            else:
                assert new_older[sel].sum() == pytest.approx(older[sel].sum() * row[2] / pop[sel].sum(), rel=1e-9, abs=1e-6)
            # each point keeps its share of the district
            np.testing.assert_allclose(new_pop[sel] * pop[sel].sum(), pop[sel] * new_pop[sel].sum(), rtol=1e-9, atol=1e-6)
        else:
            np.testing.assert_array_equal(new_pop[sel], pop[sel])
            np.testing.assert_array_equal(new_older[sel], older[sel])
    outside = district < 0
    np.testing.assert_array_equal(new_pop[outside], pop[outside])
    np.testing.assert_allclose(res.factors["pop"].sum(), new_pop.sum(), rtol=1e-9, atol=1e-6)


def test_study_area_takes_the_share_of_each_district_inside(shared_data):
    """Real DataV districts of Hangzhou (GCJ-02) and the West Lake extract's box as the study area."""
    hz, _ = zones.districts_from_file(shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json", crs="gcj02")
    area = shapely.box(120.100, 30.230, 120.185, 30.296)
    xx, yy = np.meshgrid(np.linspace(120.101, 120.184, 40), np.linspace(30.231, 30.295, 40))
    d = demand(np.full(xx.size, 100.0), n=xx.size)
    d.lon, d.lat = xx.ravel(), yy.ravel()
    district = districts_stage.district_of_points(hz, d.lon, d.lat)
    rows = [(code, name, 1_000_000.0, 200_000.0) for code, name in zip(hz["district_id"], hz["district_name"], strict=True)]
    res = cal.calibrate_demand(d, district, hz, table(rows), study_area=area)
    f = res.factors.set_index("district_name")
    xihu = f.loc["西湖区"]
    assert 0.02 < xihu["inside_share"] < 0.5 and xihu["status"] == "scaled"
    assert xihu["pop"] == pytest.approx(1_000_000 * xihu["inside_share"], rel=1e-9)
    assert xihu["older"] == pytest.approx(200_000 * xihu["inside_share"], rel=1e-9)
    assert f.loc["淳安县", "status"] == "outside_study_area" and f.loc["淳安县", "inside_share"] == 0
    assert any("partly outside the study area" in n for n in res.notes)


# --------------------------------------------------------------------------- older shares


def test_older_share_table_is_consistent_with_its_sources():
    table_ = {s.adcode: s for s in cal.ZHEJIANG_OLDER_SHARES_2020}
    assert table_["330000"].share == pytest.approx(ZHEJIANG_OLDER_SHARE_2020, abs=5e-4)  # 18.70% in the provincial bulletin
    for s in cal.ZHEJIANG_OLDER_SHARES_2020:
        stated = re.search(r"(\d+\.\d+)%$", s.source)
        if stated:
            assert round(100 * s.share, 2) == float(stated.group(1)), s.name
        assert 0 < s.older < s.total and len(s.adcode) == 6 and s.adcode.startswith("33")
    got = cal.older_shares_for(["330106", "330683", "330302001", "110101", "西湖区", "330106001000"])
    assert got["source_name"].tolist() == ["杭州市", "嵊州市", "浙江省", "", "", "杭州市"]
    np.testing.assert_allclose(got["older_share"][:3], [table_["330100"].share, table_["330683"].share, table_["330000"].share])
    assert got["older_share"][3:5].isna().all()


# --------------------------------------------------------------------------- the command line spec


def test_census_input_options_join_the_run_command():
    p = argparse.ArgumentParser()
    _add_run_options(p)  # the census options are among the run command's, none taken twice
    args = p.parse_args(
        ["--out", "x", "--district-population", "七普.xlsx", "--census-code-col", "代码", "--census-name-col", "地区", "--census-pop-col", "常住人口",
         "--census-older-col", "60岁及以上", "--census-older-share-col", "占比", "--census-encoding", "gbk", "--census-sheet", "区县"]
    )
    spec = cal.CensusInput(**spec_kwargs(args, cal.CensusInput, "census"))
    assert spec == cal.CensusInput("七普.xlsx", code_col="代码", name_col="地区", pop_col="常住人口", older_col="60岁及以上", older_share_col="占比",
                                   encoding="gbk", sheet="区县")


# --------------------------------------------------------------------------- culture layer and goals


def test_culture_layer_rules():
    culture = config.load_services()["culture"]
    assert culture.name_zh == "文化设施" and culture.tiers == ("library", "cultural_centre", "community_culture", "museum")
    assert culture.match({"amenity": "library"}) == "library"
    assert culture.match({"amenity": "library", "access": "private"}) is None
    assert culture.match({"amenity": "public_bookcase"}) is None
    assert culture.match({"amenity": "arts_centre"}) == "cultural_centre"
    assert culture.match({"amenity": "community_centre", "community_centre": "cultural_centre"}) == "cultural_centre"
    assert culture.match({"amenity": "community_centre", "community_centre": "village_hall"}) == "community_culture"
    assert culture.match({"amenity": "community_centre"}) is None
    assert culture.match({"tourism": "museum"}) == "museum"
    assert culture.match({"tourism": "museum", "amenity": "fast_food"}) is None


def test_culture_layer_finds_hangzhous_libraries(hangzhou_pbf):
    """The West Lake extract has 2 amenity=library (SOURCES.md) and one arts centre."""
    culture = config.load_services()["culture"]
    fac = facilities.layer_from_osm(hangzhou_pbf, {"culture": culture})
    libraries = fac[fac["tier"] == "library"]
    assert sorted(libraries["name"]) == ["浙江大学图书馆", "浙江省图书馆"]
    assert sorted(libraries["facility_id"]) == ["osm:node/337081886:culture", "osm:way/255607738:culture"]
    assert (fac["tier"] == "cultural_centre").sum() == 1


def test_new_goals_and_provision_load():
    services = config.load_services()
    goals = {g.id: g for g in config.load_goals(services=services)}
    culture = goals["culture_15min"]
    assert culture.name_zh == "15分钟品质文化生活圈" and culture.services == ("culture",)
    assert culture.max_time_s == 900.0 and culture.speed_m_s == 1.0 and [t.share for t in culture.targets] == [1.0]
    assert culture.tiers_for("culture") == ("library", "cultural_centre", "community_culture")
    fit = goals["fitness_10min_1km"]
    assert fit.max_dist_m == 1000.0 and fit.max_time_s is None and fit.services == ("sports_fitness",) and fit.threshold_label == "1000 m"
    assert goals["fitness_10min"].max_time_s == 600.0 and goals["fitness_10min"].max_dist_m is None  # unchanged
    assert set(config.GOAL_IDS) <= set(goals)
    beds = {p.id: p for p in config.load_provisions(services=services)}["medical_beds_per_1k"]
    assert (beds.service, beds.supply, beds.population, beds.per, beds.target) == ("public_health", "beds", "total", 1000.0, 7.5)
    assert beds.catchment_m(1.0) == 900.0 and "5.99" in beds.target_label


# --------------------------------------------------------------------------- through a whole run


def test_a_run_scales_each_district_to_its_census_count(hangzhou_pbf, shared_data, tmp_path):
    from accessibility import cli
    from accessibility.run.read import read_run
    from accessibility.stages import districts as districts_stage

    datav = shared_data / "zhejiang_admin_boundaries_datav" / "330100_full.json"
    census = tmp_path / "census.csv"
    census.write_text("区划代码,地区,常住人口\n330106,西湖区,1145071\n330102,上城区,346000\n330103,下城区,526000\n", encoding="utf-8")
    out = tmp_path / "run"
    code = cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--out", str(out), "--no-briefing", "--goal", "park_10min",
                     "--districts", str(datav), "--districts-crs", "gcj02", "--district-population", str(census)])
    assert code == 0
    run = read_run(out)
    factors = run.tables["calibration_districts.csv"].set_index("district_name")
    assert factors.loc["西湖区", "status"] == "scaled"
    district = districts_stage.district_of_points(run.districts, run.demand.lon, run.demand.lat)
    names = run.districts["district_name"].to_numpy()
    for name in ("西湖区", "上城区", "下城区"):
        inside = names[np.maximum(district, 0)] == name
        inside &= district >= 0
        assert run.demand.pop[inside].sum() == pytest.approx(factors.loc[name, "target_pop"], rel=1e-9)
    assert any("census" in n.message.lower() for n in run.notes)
    assert run.manifest["inputs"]["census"]["sha256"]
    raise_no_districts = cli.main(["-q", "run", "--osm", str(hangzhou_pbf), "--out", str(tmp_path / "r2"), "--no-briefing", "--district-population", str(census)])
    assert raise_no_districts == 2

"""Configuration: shipped services, goals and mode recipes load; mistakes name the file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from accessibility import config, errors
from accessibility.stages import goals

SERVICE_IDS = {"culture", "elderly_care", "park", "preschool", "public_health", "sports_fitness"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_GOAL = """
[[goal]]
id = "park_5min"
name_zh = "5分钟公园"
name_en = "Park within 5 minutes"
services = ["park"]
max_time_min = 5
walk_speed_m_s = 1.2
targets = [{ share = 0.9, label = "90%" }]
"""


# --------------------------------------------------------------------------- shipped defaults


def test_default_services_load():
    services = config.load_services()
    assert set(services) == SERVICE_IDS
    for sid, layer in services.items():
        assert layer.id == sid
        assert layer.name_zh and layer.name_en and layer.rules
        assert layer.source is not None and layer.source.name == f"{sid}.toml"
    assert services["elderly_care"].name_zh == "养老机构"
    assert services["elderly_care"].tiers == ("care_home", "day_care")


def test_default_goals_load_with_stable_ids():
    services = config.load_services()
    loaded = config.load_goals(services=services)
    ids = [g.id for g in loaded]
    stable = ("service_circle_15min", "elderly_care_1km", "fitness_10min", "park_10min")
    assert stable == config.GOAL_IDS
    assert set(stable) <= set(ids) and len(set(ids)) == len(ids)
    by_id = {g.id: g for g in loaded}
    circle = by_id["service_circle_15min"]
    assert set(circle.services) == {"preschool", "public_health", "elderly_care", "sports_fitness"}
    assert circle.combine == "all" and circle.max_time_s == 900.0 and circle.speed_m_s == 1.0
    assert circle.threshold_m(1.0) == 900.0 and circle.threshold_label == "15 min"
    assert [t.share for t in circle.targets] == [1.0, 0.85]
    elderly = by_id["elderly_care_1km"]
    assert elderly.max_dist_m == 1000.0 and elderly.population == "older" and elderly.area == "main_urban_area"
    assert elderly.tiers_for("elderly_care") == ("care_home",) and elderly.straight_line
    assert elderly.speed_m_s == 0.8 and elderly.threshold_m(0.8) == 1000.0
    assert by_id["fitness_10min"].max_time_s == 600.0
    assert by_id["park_10min"].services == ("park",)
    for g in loaded:
        assert set(g.services) <= SERVICE_IDS


def test_default_modes_load():
    walk, bike, drive = (config.load_mode(m) for m in ("walk", "bike", "drive"))
    assert not walk.oneway and walk.weight == "length" and walk.speed_m_s == 1.0
    assert "footway" in walk.include_highway and "footway" not in drive.include_highway
    assert bike.oneway and bike.weight == "length" and bike.speed_m_s == pytest.approx(4.17)
    assert drive.oneway and drive.weight == "time"
    assert drive.speed_for("primary") == pytest.approx(40 / 3.6)
    assert drive.speed_for("no_such_class") == drive.speed_m_s


def test_service_rule_matching():
    services = config.load_services()
    health, park, elderly = services["public_health"], services["park"], services["elderly_care"]
    assert health.match({"amenity": "hospital"}) == "hospital"
    assert health.match({"amenity": "doctors"}) == "clinic"
    assert health.match({"healthcare": "centre"}) == "clinic"
    assert health.match({"healthcare": "pharmacy"}) is None
    assert park.match({"leisure": "park"}) == "park"
    assert park.match({"leisure": "park", "access": "private"}) is None
    assert elderly.match({"amenity": "social_facility", "social_facility": "nursing_home"}) == "care_home"
    assert elderly.match({"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "senior"}) == "day_care"
    assert elderly.match({"amenity": "social_facility", "social_facility": "day_care", "social_facility:for": "child"}) is None


def test_goal_threshold_and_density_rule():
    g = config.Goal(
        id="e", name_zh="e", name_en="e", services=("elderly_care",), max_dist_m=1000.0,
        density_rules=(config.DensityRule(min_density_per_km2=3000.0, max_dist_m=500.0),),
    )
    thr = goals.point_threshold_m(g, 1.0, np.array([100.0, 3000.0, 3000.1, 20000.0]), 4)
    np.testing.assert_array_equal(thr, [1000.0, 1000.0, 500.0, 500.0])
    t = config.Goal(id="t", name_zh="t", name_en="t", services=("park",), max_time_s=600.0)
    assert t.threshold_m(0.8) == pytest.approx(480.0)


def test_evaluate_goal_hand_computed():
    g = config.Goal(id="g", name_zh="g", name_en="g", services=("park", "public_health"), max_dist_m=500.0,
                    targets=(config.Target(0.5, "half"),))
    costs = {"park": np.array([100.0, 600.0, np.inf, 400.0]), "public_health": np.array([500.0, 100.0, 100.0, 501.0])}
    w = np.array([1.0, 2.0, 3.0, 4.0])
    res, covered = goals.evaluate_goal(
        g, goals.GoalPoints(costs, w, np.array([True, True, True, False]), np.array(["a", "a", "b", "b"], dtype=object)),
        speed_m_s=1.0, facility_counts={"park": 3, "public_health": 2},
    )
    # only point 0 reaches both within 500 m; point 3 is outside the area
    np.testing.assert_array_equal(covered, [True, False, False, False])
    assert res.eligible_pop == 6.0 and res.covered_pop == 1.0 and res.share == pytest.approx(1 / 6)
    assert res.per_service_share == {"park": pytest.approx(1 / 6), "public_health": pytest.approx(1.0)}
    assert res.passed is False and res.targets[0]["met"] is False
    assert res.warnings == []
    assert [h["h3"] for h in res.worst_hexes] == ["b", "a"]
    any_goal = config.Goal(id="g2", name_zh="g", name_en="g", services=("park", "public_health"), combine="any", max_dist_m=500.0)
    res_any, _ = goals.evaluate_goal(any_goal, goals.GoalPoints(costs, w, np.ones(4, bool), np.array(["a"] * 4, dtype=object)),
                                     speed_m_s=1.0, facility_counts={"park": 0})
    assert res_any.covered_pop == 1.0 + 2.0 + 3.0 + 4.0  # every point reaches one of the two
    assert any("'park'" in x for x in res_any.warnings)


# --------------------------------------------------------------------------- mistakes in goals files


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[goal]\nid = 'x'\n", "not valid TOML"),
        (GOOD_GOAL + "colour = 'red'\n", "colour"),
        (GOOD_GOAL.replace("max_time_min = 5", "max_time_min = -5"), "max_time_min"),
        (GOOD_GOAL.replace("max_time_min = 5", "max_dist_m = -300"), "max_dist_m"),
        (GOOD_GOAL.replace("max_time_min = 5", "max_time_min = 0"), "max_time_min"),
        (GOOD_GOAL.replace("walk_speed_m_s = 1.2", "walk_speed_m_s = -1.0"), "walk_speed_m_s"),
        (GOOD_GOAL.replace("max_time_min = 5", "max_time_min = 5\nmax_dist_m = 400"), "exactly one"),
        (GOOD_GOAL.replace("max_time_min = 5\n", ""), "exactly one"),
        (GOOD_GOAL.replace("share = 0.9", "share = 90"), "share"),
        (GOOD_GOAL.replace("share = 0.9", "share = -0.1"), "share"),
        (GOOD_GOAL.replace('services = ["park"]', "services = []"), "services"),
        (GOOD_GOAL.replace('services = ["park"]', 'services = "park"'), "services"),
        (GOOD_GOAL + "population = 'children'\n", "population"),
        (GOOD_GOAL + "combine = 'some'\n", "combine"),
        (GOOD_GOAL + "area = 'city'\n", "area"),
        (GOOD_GOAL + GOOD_GOAL, "duplicate"),
        (GOOD_GOAL + "density_rule = [{ min_density_per_km2 = 3000, max_dist_m = 500 }]\n", "density_rule"),
        (GOOD_GOAL + "tiers = { elderly_care = ['care_home'] }\n", "tiers"),
        (GOOD_GOAL + "tiers = { park = ['palace'] }\n", "palace"),
        ("title = 'goals'\n" + GOOD_GOAL, "title"),
        ("", "goal"),
    ],
)
def test_bad_goals_file_names_file_and_problem(tmp_path, text, fragment):
    path = write(tmp_path / "my_goals.toml", text)
    with pytest.raises(errors.ConfigError) as exc:
        config.load_goals(path, services=config.load_services())
    msg = str(exc.value)
    assert str(path) in msg
    assert fragment in msg
    assert isinstance(exc.value, ValueError)


def test_good_custom_goals_file(tmp_path):
    path = write(tmp_path / "my_goals.toml", GOOD_GOAL)
    (g,) = config.load_goals(path, services=config.load_services())
    assert g.id == "park_5min" and g.max_time_s == 300.0 and g.speed_m_s == 1.2
    assert g.targets == (config.Target(0.9, "90%"),)


def test_goal_naming_unknown_service(tmp_path):
    path = write(tmp_path / "g.toml", GOOD_GOAL.replace('services = ["park"]', 'services = ["park", "library"]'))
    with pytest.raises(errors.ConfigError, match="library") as exc:
        config.load_goals(path, services=config.load_services())
    assert "g.toml" in str(exc.value) and "park_5min" in str(exc.value)
    # without a service list the name cannot be checked
    assert config.load_goals(path)[0].services == ("park", "library")


def test_missing_goals_file(tmp_path):
    with pytest.raises(errors.InputFileNotFoundError, match=re.escape("absent.toml")):
        config.load_goals(tmp_path / "absent.toml")


# --------------------------------------------------------------------------- mistakes in service layers and recipes


def _layers_copy(tmp_path: Path) -> Path:
    d = tmp_path / "layers"
    shutil.copytree(config.default_layers_dir(), d)
    return d


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('id = "library"\nname_zh = "图书馆"\nname_en = "Library"\ncolour = "red"\n[[rules]]\ntags = { amenity = "library" }\n', "colour"),
        ('id = "library"\nname_zh = "图书馆"\nname_en = "Library"\n[[rules]]\ntags = { amenity = "library" }\ntier = 3\n', "tier"),
        ('id = "library"\nname_zh = "图书馆"\nname_en = "Library"\n[[rules]]\ntag = { amenity = "library" }\n', "tags"),
        ('id = "library"\nname_zh = "图书馆"\nname_en = "Library"\n[[rules]]\ntags = { amenity = 5 }\n', "amenity"),
        ('id = "library"\nname_zh = "图书馆"\nname_en = "Library"\nrules = []\n', "rules"),
        ('id = "my library"\nname_zh = "图书馆"\nname_en = "Library"\n[[rules]]\ntags = { amenity = "library" }\n', "is not allowed"),
        ('id = "library"\nname_en = "Library"\n[[rules]]\ntags = { amenity = "library" }\n', "name_zh"),
        ('id = "library\nname_zh = "图书馆"\n', "not valid TOML"),
    ],
)
def test_bad_service_layer_names_file(tmp_path, text, fragment):
    d = _layers_copy(tmp_path)
    path = write(d / "library.toml", text)
    with pytest.raises(errors.ConfigError) as exc:
        config.load_services(d)
    assert str(path) in str(exc.value)
    assert fragment in str(exc.value)


def test_extra_service_layer_is_loaded(tmp_path):
    d = _layers_copy(tmp_path)
    write(d / "library.toml", 'id = "library"\nname_zh = "图书馆"\nname_en = "Library"\n[[rules]]\ntags = { amenity = "library" }\n')
    services = config.load_services(d)
    assert set(services) == SERVICE_IDS | {"library"}
    assert services["library"].match({"amenity": "library"}) == "default"


def test_duplicate_service_id(tmp_path):
    d = _layers_copy(tmp_path)
    shutil.copy(d / "park.toml", d / "park_copy.toml")
    with pytest.raises(errors.ConfigError, match=re.escape("park_copy.toml")):
        config.load_services(d)


def test_empty_layers_folder(tmp_path):
    with pytest.raises(errors.ConfigError, match=str(tmp_path)):
        config.load_services(tmp_path)


def test_unknown_mode():
    with pytest.raises(errors.ConfigError, match="helicopter"):
        config.load_mode("helicopter")


@pytest.mark.parametrize(
    ("replace", "fragment"),
    [
        (("speed_m_s = 1.0", "speed_m_s = -1.0"), "speed_m_s"),
        (('weight = "length"', 'weight = "fun"'), "weight"),
        (("oneway = false", "oneway = false\nwheels = 2"), "wheels"),
    ],
)
def test_bad_mode_recipe_names_file(tmp_path, replace, fragment):
    text = (config.default_networks_dir() / "walk.toml").read_text(encoding="utf-8")
    assert replace[0] in text
    path = write(tmp_path / "walk_custom.toml", text.replace(*replace))
    with pytest.raises(errors.ConfigError) as exc:
        config.load_mode(path)
    assert str(path) in str(exc.value) and fragment in str(exc.value)


def test_negative_speed_in_drive_speeds(tmp_path):
    text = (config.default_networks_dir() / "drive.toml").read_text(encoding="utf-8")
    path = write(tmp_path / "drive_custom.toml", text.replace("primary = 40", "primary = -40"))
    with pytest.raises(errors.ConfigError, match="primary"):
        config.load_mode(path)


@pytest.mark.shared
def test_facility_matching_equals_every_rule_on_every_feature(hangzhou_pbf):
    from accessibility.readers import osm
    from accessibility.stages import facilities

    services = config.load_services(None)
    features = osm.read_features(hangzhou_pbf, facilities.rule_keys(services) + ("building",))
    got = facilities.facilities_from_features(features, services)
    expected = {
        (f"osm:{kind}/{osm_id}:{sid}", tier)
        for kind, osm_id, tags in zip(features.frame["osm_type"], features.frame["osm_id"], features.frame["tags"], strict=True)
        for sid, layer in services.items()
        if (tier := layer.match(tags)) is not None
    }
    assert len(expected) > 50
    assert set(zip(got["facility_id"], got["tier"], strict=True)) == expected

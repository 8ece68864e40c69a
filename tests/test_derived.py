"""What a run derives from the OSM features (walls-and-gates rules, entrances, OSM facilities) is stored once: a rerun equals a run that loads the features, without loading them."""

from __future__ import annotations

import dataclasses
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from affine import Affine
from test_barriers import LAT0, LON0, SQUARE, M, compound_net, feature_frame

from accessibility import config
from accessibility.network import barriers
from accessibility.network import cache as network_cache
from accessibility.run import derived, pipeline
from accessibility.run.inputs import RunOptions
from accessibility.stages import facilities as facilities_mod


def _same_network(a, b) -> None:
    pd.testing.assert_frame_equal(a.nodes, b.nodes, check_exact=True)
    pd.testing.assert_frame_equal(a.edge_table, b.edge_table, check_exact=True)
    ca, cb = a.edge_coords(), b.edge_coords()
    assert np.array_equal(ca.xy, cb.xy) and np.array_equal(ca.offsets, cb.offsets)
    assert a.barriers["kind"].tolist() == b.barriers["kind"].tolist()
    assert a.barriers["osm_id"].tolist() == b.barriers["osm_id"].tolist()
    assert shapely.equals_exact(a.barriers.geometry.to_numpy(), b.barriers.geometry.to_numpy(), tolerance=0).all()
    assert a.info["quality"] == b.info["quality"]


def _round_trip(tmp_path: Path, kept: derived.Derived, key: str = "derived-" + "ab" * 32) -> derived.Derived:
    with ThreadPoolExecutor(1) as writer:
        status = derived.store(tmp_path, key, kept, writer=writer)
    assert status["cache"] == "stored", status
    loaded = derived.load(tmp_path, key)
    assert loaded is not None and loaded.folder == Path(status["entry"])
    return loaded


@pytest.mark.parametrize("access", [None, "private"])
def test_the_stored_outcome_gives_the_network_the_features_give(tmp_path, access):
    """A compound with a gate on its way, open or locked (the way beyond cut and its node dropped)."""
    outline = np.asarray(SQUARE.exterior.coords)
    along = shapely.LineString(outline).interpolate(np.linspace(0, 0.9, 40), normalized=True)
    gate = ("node", 20, {"barrier": "gate"} | ({"access": access} if access else {}), shapely.Point(LON0 + 50 * M, LAT0 + 40 * M))
    frame = feature_frame([("way", 10, {"landuse": "residential"}, SQUARE), ("way", 11, {"barrier": "wall"}, shapely.LineString(along)), gate])
    outcome = barriers.barrier_outcome(compound_net(), frame)
    assert (outcome.kept_edges is not None) == (access == "private")
    kept = derived.Derived(outcome, barriers.entrance_points(frame), facilities_mod.facilities_from_features(_features(frame), config.load_services()), ("a note",))
    loaded = _round_trip(tmp_path, kept)
    _same_network(barriers.with_outcome(compound_net(), loaded.outcome), barriers.apply_barriers(compound_net(), frame))
    assert loaded.notes == ("a note",)
    assert shapely.equals_exact(loaded.entrances, kept.entrances, tolerance=0).all() and len(loaded.entrances) == (access is None)


def _features(frame: pd.DataFrame):
    from accessibility.readers import osm

    return dataclasses.replace(osm.empty_features(), frame=frame)


def test_the_stored_outcome_and_facilities_of_hangzhou_equal_the_features(hangzhou_pbf, hangzhou_walk, tmp_path):
    services = config.load_services()
    keys = (*facilities_mod.rule_keys(services), *barriers.BARRIER_KEYS)
    features = network_cache.load_or_read_features(hangzhou_pbf, keys, cache_dir=False)
    kept = derived.Derived(
        barriers.barrier_outcome(hangzhou_walk, features.frame), barriers.entrance_points(features.frame),
        facilities_mod.facilities_from_features(features, services), tuple(features.notes),
    )
    assert len(kept.facilities) > 50 and len(kept.entrances) > 0 and kept.outcome.private.any()
    loaded = _round_trip(tmp_path, kept)
    _same_network(barriers.with_outcome(hangzhou_walk, loaded.outcome), barriers.apply_barriers(hangzhou_walk, features.frame))
    pd.testing.assert_frame_equal(loaded.facilities.drop(columns="geometry"), kept.facilities.drop(columns="geometry"), check_exact=True)
    assert loaded.facilities.crs == kept.facilities.crs and loaded.facilities.geometry.name == kept.facilities.geometry.name
    assert shapely.equals_exact(loaded.facilities.geometry.to_numpy(), kept.facilities.geometry.to_numpy(), tolerance=0).all()
    assert shapely.equals_exact(loaded.entrances, kept.entrances, tolerance=0).all()
    # an outcome decided for other streets is not applied
    assert loaded.outcome.fits(hangzhou_walk) and not loaded.outcome.fits(compound_net())


def test_no_osm_facilities_round_trip_as_the_empty_frame(tmp_path):
    """An extract with none of the services' facilities: the stored empty frame reads back with its columns' dtypes."""
    empty = facilities_mod.facilities_from_features(_features(feature_frame([])), config.load_services())
    assert len(empty) == 0
    derived._write_facilities(empty, tmp_path / "f.parquet")
    back = derived._read_facilities(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")), pd.DataFrame(empty.drop(columns="geometry")), check_exact=True)
    assert back.crs == empty.crs and back.geometry.name == empty.geometry.name


def test_the_key_follows_the_sources_and_the_service_rules():
    services = config.load_services()
    key = derived.derived_key("sources", services)
    assert key == derived.derived_key("sources", config.load_services())
    first = next(iter(services))
    edited = dict(services)
    edited[first] = dataclasses.replace(services[first], rules=services[first].rules[:-1])
    reordered = dict(reversed(list(services.items())))  # a feature of two services is listed in the services' order
    others = {derived.derived_key("other sources", services), derived.derived_key("sources", edited), derived.derived_key("sources", reordered)}
    assert key not in others and len(others) == 3
    assert derived.derived_key(None, services) is None


def _raster(path: Path) -> Path:
    import rasterio

    utm = pyproj.CRS.from_epsg(32651)
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(120.09, 30.31)
    data = np.random.default_rng(5).uniform(0, 40, (110, 110)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=110, height=110, count=1, dtype="float32", crs=utm,
                       transform=Affine(100.0, 0.0, round(x0), 0.0, -100.0, round(y0)), nodata=-1.0) as dst:
        dst.write(data, 1)
    return path


def test_a_raster_rerun_never_loads_the_features_and_equals_the_first_run(hangzhou_pbf, tmp_path, monkeypatch, caplog):
    raster, cache = _raster(tmp_path / "pop.tif"), tmp_path / "cache"
    a = pipeline.run(hangzhou_pbf, population=raster, options=RunOptions(cache=cache), out=tmp_path / "a")
    assert a.manifest["derived_cache"]["cache"] == "stored"

    def refuse(*args, **kwargs):
        raise AssertionError("a rerun with a raster loaded the OSM features")

    with monkeypatch.context() as m:
        m.setattr(network_cache, "_load_features", refuse)
        m.setattr(network_cache, "load_or_read_features", refuse)
        b = pipeline.run(hangzhou_pbf, population=raster, options=RunOptions(cache=cache), out=tmp_path / "b")
    assert b.manifest["derived_cache"] == {"cache": "hit", "entry": a.manifest["derived_cache"]["entry"]}
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        if name != "manifest.json":  # it holds the timings and the cache statuses
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    ma, mb = (json.loads((tmp_path / d / "manifest.json").read_text(encoding="utf-8")) for d in ("a", "b"))
    assert ma["modes"]["walk"]["quality"] == mb["modes"]["walk"]["quality"]

    # a damaged entry is computed again from the features, with a warning
    (Path(a.manifest["derived_cache"]["entry"]) / "barriers.npz").write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING, logger="accessibility.run.derived"):
        c = pipeline.run(hangzhou_pbf, population=raster, options=RunOptions(cache=cache))
    assert "cannot be read" in caplog.text and c.manifest["derived_cache"]["cache"] == "stored"
    pd.testing.assert_frame_equal(c.point_costs, a.point_costs, check_exact=True)

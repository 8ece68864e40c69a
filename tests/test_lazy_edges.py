"""A network holds its edges' coordinates and builds their lines when a stage asks for them (network/graph.py: EdgeLines, Network.edges)."""

from __future__ import annotations

import dataclasses
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility import network
from accessibility.network import barriers, graph
from accessibility.network import cache as network_cache
from accessibility.readers import osm
from accessibility.run import pipeline
from accessibility.run.inputs import RunOptions


@pytest.fixture(scope="module")
def cache(hangzhou_pbf, tmp_path_factory):
    """A cache holding the Hangzhou walking network."""
    folder = tmp_path_factory.mktemp("lazy") / "cache"
    network_cache.load_or_read(hangzhou_pbf, ["walk"], None, cache_dir=folder)
    return folder


@pytest.fixture
def both(hangzhou_pbf, cache):
    """The Hangzhou walking network as read from the file, and as loaded from the cache (each test its own)."""
    read = network_cache.load_or_read(hangzhou_pbf, ["walk"], None, cache_dir=False)[0]["walk"]
    loaded = network_cache.load_or_read(hangzhou_pbf, ["walk"], None, cache_dir=cache)[0]["walk"]
    assert loaded.info["cache"] == "hit"
    return read, loaded


def test_a_network_builds_its_lines_on_first_access_and_they_are_the_file_s(both):
    read, loaded = both
    assert read.lines is not None and loaded.lines is not None  # neither built them
    assert "geometry" not in loaded.edge_table.columns
    rows = np.array([0, 7, len(loaded.edge_table) - 1, 7])
    some = loaded.edge_geometry(rows)
    assert loaded.lines is not None  # a few rows' lines did not build them all
    lines = loaded.edges.geometry.to_numpy()
    assert loaded.lines is None and "geometry" in loaded.edge_table.columns
    assert shapely.equals_exact(lines, read.edges.geometry.to_numpy(), tolerance=0).all()
    assert shapely.equals_exact(some, lines[rows], tolerance=0).all()
    np.testing.assert_array_equal(loaded.edge_coords().xy, shapely.get_coordinates(lines))
    pd.testing.assert_frame_equal(pd.DataFrame(loaded.edge_table.drop(columns="geometry")), pd.DataFrame(read.edge_table.drop(columns="geometry")))


def test_the_boxes_of_the_coordinates_are_the_lines_boxes(both):
    read, _ = both
    got = read.edge_coords().bounds()
    np.testing.assert_array_equal(got, shapely.bounds(read.edge_geometry(np.arange(read.n_edges))))
    assert not got.flags.writeable and read.edge_coords().bounds() is got  # computed once
    # rows taken (the edges a locked gate leaves) keep their boxes, which are theirs
    rows = np.array([5, 0, read.n_edges - 1, 5])
    taken = read.edge_coords().take(rows)
    assert "_bounds" in taken.__dict__
    np.testing.assert_array_equal(taken.bounds(), type(taken)(taken.xy, taken.offsets).bounds())
    with pytest.raises(ValueError, match="boxes for"):
        type(taken)(taken.xy, taken.offsets).with_bounds(got)


def test_threads_asking_for_the_lines_at_once_get_one_table(hangzhou_pbf):
    net = network.graph_from_file(hangzhou_pbf)
    assert net.lines is not None
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: net.edges, range(8)))
    assert all(g is got[0] for g in got) and net.lines is None


def test_a_lazy_network_pickles_and_is_replaced_with_its_coordinates(hangzhou_pbf):
    net = network.graph_from_file(hangzhou_pbf)
    again = pickle.loads(pickle.dumps(net))
    assert again.lines is not None and again.n_edges == net.n_edges
    np.testing.assert_array_equal(again.edges.geometry.is_empty.to_numpy(), np.zeros(net.n_edges, bool))
    other = dataclasses.replace(net, edges=net.edge_table, info={"x": 1})  # the table given: its lines are not built to copy it
    assert other.lines is net.lines and net.lines is not None and other.info == {"x": 1}


def test_a_network_needs_its_lines_or_their_coordinates():
    net = network.graph_from_arrays([120.0, 120.001, 120.002], [30.0, 30.0, 30.0], [0, 1], [1, 2])
    table = pd.DataFrame(net.edge_table.drop(columns="geometry"))
    with pytest.raises(TypeError, match="coordinates"):
        graph.Network(nodes=net.nodes, edges=table, mode=net.mode)
    with pytest.raises(ValueError, match="2 edge lines for 1 edges"):
        graph.Network(nodes=net.nodes, edges=table.iloc[:1], mode=net.mode, lines=net.edge_coords())
    lazy = graph.Network(nodes=net.nodes, edges=table, mode=net.mode, lines=net.edge_coords())
    assert shapely.equals_exact(lazy.edges.geometry.to_numpy(), net.edges.geometry.to_numpy(), tolerance=0).all()


def test_walls_and_gates_give_the_same_network_on_coordinates_as_on_lines(both, hangzhou_pbf):
    """apply_barriers tests only the edges whose boxes come near a compound or a gate: the same private ways, cuts and facts as on every line."""
    read, _ = both
    feat = osm.read_features(hangzhou_pbf, barriers.BARRIER_KEYS)
    _, loaded = both
    lazy = barriers.apply_barriers(loaded, feat.frame)
    read.edges  # every line built first
    assert read.lines is None
    whole = barriers.apply_barriers(read, feat.frame)
    assert lazy.lines is not None and whole.lines is None
    assert lazy.info["quality"] == whole.info["quality"] and lazy.info["quality"]["gates_on_streets"] > 5
    # the oracle: every gate against every line, as before the boxes were looked at
    gates, _ = barriers._gates(feat.frame)
    near_deg = barriers._ON_STREET_M / (111_320.0 * np.cos(np.radians(float(np.nanmedian(read.nodes["lat"].to_numpy())))))
    _, gi = shapely.STRtree(gates).query(read.edges.geometry.to_numpy(), predicate="dwithin", distance=near_deg)
    assert lazy.info["quality"]["gates_on_streets"] == len(np.unique(gi))
    pd.testing.assert_frame_equal(pd.DataFrame(lazy.edge_table), pd.DataFrame(whole.edge_table.drop(columns="geometry")))


def test_a_rerun_never_builds_the_whole_network_s_lines(hangzhou_pbf, tmp_path):
    cache = tmp_path / "cache"
    pipeline.run(hangzhou_pbf, options=RunOptions(cache=cache))
    again = pipeline.run(hangzhou_pbf, options=RunOptions(cache=cache))
    walk = again.modes["walk"]
    assert again.manifest["residents_cache"]["cache"] == "hit"
    assert walk.net.lines is not None  # joined, searched and judged on the coordinates alone
    walk.net.edges  # and built when asked (a run folder writes them)
    assert walk.net.lines is None

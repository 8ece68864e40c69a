"""The run checks every declared coordinate system against the street network (accessibility.stages.datum)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from accessibility import errors
from accessibility.coords import chinacoords
from accessibility.readers import facility_files as userdata
from accessibility.run import pipeline


@pytest.fixture(scope="module")
def homes_gcj02(hangzhou_walk, tmp_path_factory):
    """200 care homes beside Hangzhou streets, with coordinates as picked on AMap (GCJ-02)."""
    nodes = hangzhou_walk.nodes
    pick = np.random.default_rng(7).choice(len(nodes), 200, replace=False)
    lon, lat = chinacoords.wgs84_to_gcj02(nodes["lon"].to_numpy()[pick], nodes["lat"].to_numpy()[pick])
    path = tmp_path_factory.mktemp("homes") / "homes.csv"
    pd.DataFrame({"name": [f"养老院{i}" for i in range(200)], "lon": lon, "lat": lat}).to_csv(path, index=False)
    return path


def test_gcj02_list_declared_wgs84_is_flagged(hangzhou_pbf, homes_gcj02):
    spec = userdata.FacilityInput(homes_gcj02, service="elderly_care", crs="wgs84")
    with pytest.warns(errors.DataQualityWarning, match="look like GCJ-02, not WGS-84") as caught:
        result = pipeline.run(hangzhou_pbf, facilities=[spec], goals=["elderly_care_1km"])
    message = next(str(w.message) for w in caught if "GCJ-02" in str(w.message))
    assert "homes.csv" in message and "--facilities-crs gcj02" in message
    assert message in result.notes


def test_gcj02_list_declared_gcj02_is_not_flagged(hangzhou_pbf, homes_gcj02):
    spec = userdata.FacilityInput(homes_gcj02, service="elderly_care", crs="gcj02")
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.DataQualityWarning)
        result = pipeline.run(hangzhou_pbf, facilities=[spec], goals=["elderly_care_1km"])
    assert not [n for n in result.notes if "look like" in n]

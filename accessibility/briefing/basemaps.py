"""Basemaps of the briefing map as data: ``maps/basemaps.toml``, validated into frozen :class:`Basemap` records.

Each basemap names its tile URL templates, attribution, coordinate system
(``wgs84``, which covers CGCS2000 within a metre, or ``gcj02``: the map then
shifts every overlay to GCJ-02 so it lands on the tiles' streets) and, where
the provider needs one, the environment variable holding the access key.
``none`` (no tiles, no network) is always there and is the default: a map for
Chinese officials shows no basemap unless one is asked for.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import errors
from ..config.base import Checker, check_id, read_toml
from ..core import palette

__all__ = ["CRS", "NONE", "Basemap", "TileLayer", "basemap_ids", "load_basemaps", "resolve_key", "tile_specs"]

#: the basemap with no tiles (always available, the default)
NONE = "none"
#: coordinate systems a basemap's tiles can be in
CRS = ("wgs84", "gcj02")
_LEAFLET_VARS = {"s", "z", "x", "y", "r", "key"}


@dataclass(frozen=True)
class TileLayer:
    """One tile layer of a basemap: Leaflet URL templates (``{s} {z} {x} {y}``, ``{key}``) for each language."""

    url: str
    url_en: str
    subdomains: str
    max_native_zoom: int


@dataclass(frozen=True)
class Basemap:
    """A basemap of ``maps/basemaps.toml``."""

    id: str
    name_zh: str
    name_en: str
    crs: str
    attribution: str
    layers: tuple[TileLayer, ...]
    key_env: str | None = None
    key_pattern: str | None = None
    key_help: str | None = None

    def name(self, lang: str) -> str:
        """The basemap's name in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en


def _layer(raw: Any, where: str) -> TileLayer:
    if not isinstance(raw, Mapping):
        raise errors.ConfigError(f"{where}: each [[layers]] entry must be a table with a 'url'")
    c = Checker(raw, where)
    url = c.get("url", str, required=True)
    url_en = c.get("url_en", str, url)
    for u in (url, url_en):
        unknown = set(re.findall(r"\{(\w+)\}", u)) - _LEAFLET_VARS
        if not u.startswith("https://") or unknown:
            raise c.fail(f"'url' must be an https:// tile URL using only {{s}} {{z}} {{x}} {{y}} {{key}}, got {u!r}")
    layer = TileLayer(url, url_en, c.get("subdomains", str, "abc"), int(c.get("max_native_zoom", int, 18)))
    c.finish()
    return layer


def _basemap(bid: str, raw: Any, path: Path) -> Basemap:
    where = f"{path} [{bid}]"
    check_id(bid, what="basemap id", where=str(path))
    if bid == NONE or not isinstance(raw, Mapping):
        raise errors.ConfigError(f"{where}: '{NONE}' is reserved (no tiles) and every basemap is a table; rename the table")
    c = Checker(raw, where)
    crs = c.get("crs", str, required=True)
    if crs not in CRS:
        raise c.fail(f"'crs' must be one of {CRS} (CGCS2000 tiles: wgs84), got {crs!r}")
    layers = c.get("layers", list, required=True)
    if not layers:
        raise c.fail("'layers' needs at least one [[layers]] entry with a url")
    bm = Basemap(
        id=bid, name_zh=c.get("name_zh", str, required=True), name_en=c.get("name_en", str, required=True), crs=crs,
        attribution=c.get("attribution", str, required=True), layers=tuple(_layer(x, f"{where} layers[{i}]") for i, x in enumerate(layers)),
        key_env=c.get("key_env", str, None), key_pattern=c.get("key_pattern", str, None), key_help=c.get("key_help", str, None),
    )
    c.finish()
    needs_key = any("{key}" in t.url + t.url_en for t in bm.layers)
    if needs_key != (bm.key_env is not None):
        raise c.fail("a basemap whose URLs hold {key} needs 'key_env' (e.g. \"TIANDITU_KEY\"), and only such a basemap")
    return bm


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Mapping[str, Basemap]:
    doc = read_toml(path)
    return {bid: _basemap(bid, raw, path) for bid, raw in doc.items()}


def load_basemaps(path: str | Path | None = None) -> Mapping[str, Basemap]:
    """The basemaps of ``path`` (default ``maps/basemaps.toml``) by id, validated (read once per file).

    Raises
    ------
    ConfigError
        A basemap is malformed (the message names the file, the basemap and the key).
    """
    return _load(Path(path).resolve() if path is not None else palette.default_maps_dir() / "basemaps.toml")


def basemap_ids() -> tuple[str, ...]:
    """``none`` and the ids of the default basemaps (the CLI's choices)."""
    return (NONE, *load_basemaps())


def resolve_key(bm: Basemap, key: str | None) -> str | None:
    """The access key of ``bm``: ``key``, else its environment variable; checked against ``key_pattern``.

    Raises
    ------
    InputError
        The basemap needs a key and none is given, or the key does not look like one.
    """
    if bm.key_env is None:
        return None
    key = key or os.environ.get(bm.key_env) or None
    if not key:
        raise errors.InputError(f"the {bm.name_en} basemap needs a key: {bm.key_help or f'set {bm.key_env}'}")
    if bm.key_pattern and not re.fullmatch(bm.key_pattern, key):
        raise errors.InputError(f"{bm.name_en} key {key!r} is not a key (expected {bm.key_pattern}); check {bm.key_env} or the key option")
    return key


def tile_specs(basemap: str, *, lang: str, key: str | None = None) -> tuple[list[dict], str]:
    """Leaflet tile-layer specs of ``basemap`` in ``lang`` and its coordinate system (``[]``, ``"wgs84"`` for ``none``).

    Raises
    ------
    InputError
        Unknown basemap, or a missing or malformed key.
    """
    if basemap == NONE:
        return [], "wgs84"
    known = load_basemaps()
    bm = known.get(basemap)
    if bm is None:
        raise errors.InputError(f"basemap must be one of {(NONE, *known)}, got {basemap!r}")
    k = resolve_key(bm, key)
    tiles = []
    for t in bm.layers:
        url = t.url_en if lang == "en" else t.url
        if k is not None:
            url = url.replace("{key}", k)
        tiles.append({"url": url, "options": {"subdomains": t.subdomains, "maxNativeZoom": t.max_native_zoom, "maxZoom": 20, "attribution": bm.attribution}})
    return tiles, bm.crs

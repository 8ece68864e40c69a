"""Reading planners' vector files (GeoJSON, GeoPackage, Shapefile, a zip of one) as GDAL sees them.

:func:`read_vector` is re-exported by :mod:`accessibility.readers.areas`, which
brings the layers to WGS-84 and checks their polygons. Here: zips (one layer
or the one named), Shapefiles without ``.shx`` (rebuilt in a temporary
copy) or ``.dbf`` (noted), GBK attribute tables without ``.cpg``, files with
several layers (refused unless one is named, listing them), GeoJSON that is
not JSON (the line and column), and GDAL's warnings turned into notes.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import pyogrio

from .. import errors
from . import sources, tabletext

__all__ = ["read_vector", "read_vector_source"]


@contextlib.contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(options))


def _sidecar(shp: Path, suffix: str) -> Path | None:
    for s in (suffix, suffix.upper()):
        p = shp.with_suffix(s)
        if p.exists():
            return p
    return None


def _layer_list(sources: Sequence[Path]) -> str:
    """'roads (LineString, 1220 features), areas (Polygon, 13 features)' for the layers of some files."""
    out = []
    for src in sources:
        try:
            for name, gtype in pyogrio.list_layers(src):
                n = pyogrio.read_info(src, layer=name).get("features")
                out.append(f"{name!r} ({gtype or 'no geometry'}, {n} feature{'' if n == 1 else 's'})")
        except Exception:  # noqa: BLE001 - only for the message
            out.append(f"{src.name!r}")
    return ", ".join(out)


def _layer_hint(path: Path, what: str, example: str) -> str:
    option = " (facility lists: --facilities-sheet NAME)" if "facilit" in what or what == "file" else ""
    alone = "zip only that layer's files" if path.suffix.lower() == ".zip" else f"save that layer alone (ogr2ogr -f GPKG one.gpkg {path.name} {example})"
    return f"name the layer to read: layer={example!r} in Python{option}, or {alone}"


def _not_json(path: Path, source: Path) -> str:
    """Why a .geojson/.json is not JSON ('' when it is)."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix.lower() == ".gz" else source.read_bytes()
        json.loads(tabletext.decode(data, name=str(path))[0] or "")
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}; the file is cut short or not GeoJSON); download or export it again"
    except (errors.InputError, OSError, EOFError, RecursionError) as exc:
        return f"not a JSON text file ({exc})"
    return ""


def _read_gdal(path: Path, source: Path, *, layer: str | None, encoding: str | None, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read ``source`` (the real file; ``path`` is what the user named, for messages)."""
    notes: list[str] = []
    kwargs: dict = {}
    is_shp = source.suffix.lower() in (".shp", ".dbf")
    restore = is_shp and source.suffix.lower() == ".shp" and _sidecar(source, ".shx") is None
    if restore:
        notes.append(f"{what} {path.name}: the Shapefile has no .shx index; rebuilt it from the .shp")
    if source.suffix.lower() == ".shp" and _sidecar(source, ".dbf") is None:
        notes.append(f"{what} {path.name}: the Shapefile has no .dbf attribute table, so its features have no names or codes; copy the .dbf beside the .shp")

    def read(**kw) -> gpd.GeoDataFrame:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(source, **kwargs, **kw)
        # NaN coordinates ("invalid value") are checked by the callers
        notes.extend(f"{what} {path.name}: {w.message}" for w in caught if not (issubclass(w.category, RuntimeWarning) and "invalid value" in str(w.message)))
        return frame

    try:
        with _gdal_config(SHAPE_RESTORE_SHX="YES") if restore else contextlib.nullcontext():
            if layer is None:
                names = pyogrio.list_layers(source)[:, 0]
                if len(names) > 1:
                    raise errors.InputError(f"{path}: the {'' if what == 'file' else what + ' '}file holds {len(names)} layers: {_layer_list([source])}; {_layer_hint(path, what, str(names[0]))}")
            else:
                kwargs["layer"] = layer
            if encoding is not None:
                return read(encoding=encoding), notes
            if is_shp and _sidecar(source, ".cpg") is None:
                try:
                    return read(encoding="utf-8"), notes
                except UnicodeDecodeError:
                    notes.append(
                        f"{what} {path.name}: the attribute table is not UTF-8 and has no .cpg file; decoded as GBK "
                        "(GB18030). Pass the encoding if names look wrong"
                    )
                    return read(encoding="gb18030"), notes
            return read(), notes
    except UnicodeDecodeError as exc:
        raise errors.InputError(f"{path}: cannot decode the attribute table as {encoding} ({exc}); pass the right encoding (e.g. gbk)") from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError, IndexError) as exc:
        if layer is not None:
            raise errors.InputError(f"{path}: cannot read layer {layer!r} of the {what} ({exc}); layers in the file: {_layer_list([source])}") from exc
        why = _not_json(path, source) if source.suffix.lower() in (".geojson", ".json") or path.name.lower().endswith((".geojson.gz", ".json.gz")) else ""
        raise errors.InputError(
            f"{path}: {why}" if why else
            f"{path}: cannot read the {what} ({exc}); pass a GeoJSON, GeoPackage, Shapefile (with .dbf, .prj) or a zip of one"
        ) from exc


def _zip_layer(path: Path, tmp: Path, layer: str | None, what: str) -> tuple[Path, str | None]:
    """The vector file to read from an extracted zip, and the layer to pass on."""
    files = [p for p in tmp.rglob("*") if p.is_file() and "__MACOSX" not in p.parts and not p.name.startswith("._")]
    found = sorted(p for p in files if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".kml"))
    found = found or sorted(p for p in files if p.suffix.lower() == ".json")
    if not found:
        dbf = [p.name for p in files if p.suffix.lower() == ".dbf"]
        if dbf:
            raise errors.InputError(f"{path}: the zip holds {dbf[0]} but no .shp (the Shapefile's geometry); zip the .shp, .shx, .dbf and .prj together")
        raise errors.InputError(f"{path}: the zip holds no .shp, .gpkg or .geojson file (it holds {', '.join(sorted(p.name for p in files)[:10]) or 'nothing'})")
    if layer is not None:
        named = [p for p in found if p.stem.lower() == layer.lower()]
        if named:
            return named[0], None
        if len(found) == 1:
            return found[0], layer
        raise errors.InputError(f"{path}: no layer {layer!r} in the zip; it holds {_layer_list(found)}")
    if len(found) > 1:
        raise errors.InputError(f"{path}: the zip holds {len(found)} layers: {_layer_list(found)}; {_layer_hint(path, what, found[0].stem)}")
    return found[0], None


def read_vector(path: sources.Source, *, layer: str | None = None, encoding: str | None = None, what: str = "layer") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a vector file with its attributes, as GDAL sees it (no reprojection).

    Handles zipped Shapefiles/GeoPackages (extracted to a temporary folder),
    Shapefiles without ``.shx`` (rebuilt in a temporary copy, never beside
    the user's file) and GBK attribute tables without ``.cpg``. A file or
    zip with several layers must be told which (``layer``); the error lists
    them with their geometry types and feature counts.

    Parameters
    ----------
    path
        The file.
    layer
        Layer name (GeoPackage layer, or a Shapefile's name in a zip) when
        the file holds more than one.
    encoding
        Attribute-table encoding (e.g. ``"gbk"``); default: the file's
        ``.cpg``, else UTF-8, else GB18030.
    what
        What the file is, for messages.

    Returns
    -------
    frame, notes
        ``frame`` is a plain DataFrame when the file has no geometry (a
        ``.dbf`` alone).
    """
    if sources.is_frame(path):
        return sources.as_frame(path, what), []
    path = Path(path)
    if not path.exists():
        there = [p.name for p in (_sidecar(path, s) for s in (".dbf", ".shx", ".prj")) if p is not None] if path.suffix.lower() == ".shp" else []
        if there:
            raise errors.InputFileNotFoundError(
                f"{what} file not found: {path} ({', '.join(there)} are there, but a Shapefile needs its .shp, the geometry; copy it beside them)"
            )
        raise errors.InputFileNotFoundError(f"{what} file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="accessibility-zip-") as tmp:
            try:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(tmp)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise errors.InputError(f"{path}: not a valid zip file ({exc})") from exc
            source, inner = _zip_layer(path, Path(tmp), layer, what)
            return read_vector_source(path, source, layer=inner, encoding=encoding, what=what)
    return read_vector_source(path, path, layer=layer, encoding=encoding, what=what)


def read_vector_source(path: Path, source: Path, *, layer: str | None, encoding: str | None, what: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """:func:`read_vector` of ``source`` (a file, maybe extracted from ``path``), copying a Shapefile without ``.shx``."""
    suffix = source.suffix.lower()
    if suffix == ".shp" and _sidecar(source, ".shx") is None:
        with tempfile.TemporaryDirectory(prefix="accessibility-shp-") as tmp:
            for side in (".shp", ".dbf", ".prj", ".cpg"):
                src = _sidecar(source, side)
                if src is not None:
                    shutil.copy(src, Path(tmp) / f"layer{side}")
            return _read_gdal(path, Path(tmp) / "layer.shp", layer=layer, encoding=encoding, what=what)
    real = Path("/vsigzip/" + str(source.resolve())) if suffix == ".gz" else source
    return _read_gdal(path, real, layer=layer, encoding=encoding, what=what)

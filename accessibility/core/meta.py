"""The package's own version and those of the libraries a run depends on (for manifests and cache keys)."""

from __future__ import annotations

import functools
import importlib.metadata
import platform

__all__ = ["version", "versions"]

#: libraries whose versions a run records
LIBRARIES = ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "pyarrow", "osmium", "h3", "h3ronpy", "rasterio", "openpyxl", "rapidfuzz")


@functools.cache
def version() -> str:
    """The installed version of accessibility (``0+unknown`` in a checkout that was never installed)."""
    try:
        return importlib.metadata.version("accessibility")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def versions() -> dict[str, str | None]:
    """Versions of accessibility, Python and :data:`LIBRARIES` (``None`` for one not installed)."""
    out: dict[str, str | None] = {"accessibility": version(), "python": platform.python_version()}
    for pkg in LIBRARIES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    return out

"""Exceptions and warnings raised by accessibility.

Every error names the input it is about and says how to fix it. Each class
also inherits the matching built-in exception (as r5py and h3 do), so callers
can catch ``ValueError`` or ``FileNotFoundError`` without importing this module.
"""

from __future__ import annotations

__all__ = [
    "AccessibilityError",
    "AccessibilityWarning",
    "ConfigError",
    "DataQualityWarning",
    "EmptyLayerError",
    "InputError",
    "InputFileNotFoundError",
    "NoOverlapError",
    "OSMDataError",
    "RunDirectoryError",
]


class AccessibilityError(Exception):
    """Base class for every error raised by this package."""


class InputError(AccessibilityError, ValueError):
    """An input value or file content is invalid."""


class InputFileNotFoundError(AccessibilityError, FileNotFoundError):
    """An input file does not exist."""


class OSMDataError(InputError):
    """An OpenStreetMap file is unreadable or holds no usable network."""


class ConfigError(InputError):
    """A TOML configuration (service layer, goals) is invalid."""


class NoOverlapError(InputError):
    """Two inputs (e.g. a population raster and the study area) do not overlap."""


class EmptyLayerError(InputError):
    """A facility layer has no facility the analysis can use."""


class RunDirectoryError(InputError):
    """A run folder is missing files written by ``accessibility run``."""


class AccessibilityWarning(UserWarning):
    """Base class for warnings of this package."""


class DataQualityWarning(AccessibilityWarning):
    """Input data is usable but incomplete; the warning is carried into the report."""

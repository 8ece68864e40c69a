"""Reading planners' TOML files: encodings, identifiers, typed keys with messages that name the file and entry."""

from __future__ import annotations

import codecs
import logging
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import EllipsisType
from typing import Any, Literal, overload

from .. import errors

__all__ = ["GOAL_IDS", "ID_PATTERN", "MODE_SPEED_RANGE_M_S", "WALK_SPEED_RANGE_M_S", "Checker", "check_id", "default_layers_dir", "default_networks_dir", "read_toml", "tag_table", "walk_speed"]

log = logging.getLogger(__name__)


#: Identifiers of services, goals, provision indicators, tiers and modes: they become
#: file names (``suggestions_<goal>.csv``) and column names, so only lower-case ASCII
#: letters, digits and ``_``, starting with a letter (no path separators, no dots, and
#: no two ids that differ only in case on Windows or macOS file systems).
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")

#: plausible speeds (m/s) of a person walking: 0.2 (very frail) to 3 (running)
WALK_SPEED_RANGE_M_S = (0.2, 3.0)

#: any mode (m/s): up to 45 m/s (162 km/h)
MODE_SPEED_RANGE_M_S = (0.2, 45.0)

#: Stable goal ids used by the CLI, outputs and later work.
GOAL_IDS = ("service_circle_15min", "elderly_care_1km", "fitness_10min", "park_10min")

_PKG = Path(__file__).resolve().parents[1]  # the accessibility package

def _find_dir(name: str) -> Path:
    # Installed wheels carry the folders inside the package (pyproject's wheel
    # sources); editable installs and checkouts use the top-level folder.
    for candidate in (_PKG / f"_{name}", _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise errors.ConfigError(
        f"cannot find the default '{name}/' folder next to the package ({_PKG}); "
        "reinstall accessibility or pass the folder explicitly"
    )

def default_layers_dir() -> Path:
    """Folder holding the default service layers and ``goals.toml``."""
    return _find_dir("layers")

def default_networks_dir() -> Path:
    """Folder holding the default network recipes (``walk.toml``, ...)."""
    return _find_dir("networks")

def check_id(value: object, *, what: str, where: str) -> str:
    """``value`` if it is a valid identifier (:data:`ID_PATTERN`), else a :class:`~accessibility.errors.ConfigError`.

    Parameters
    ----------
    value
        The identifier as read.
    what
        What it identifies, for the message (``"goal id"``).
    where
        The file and entry, for the message.
    """
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise errors.ConfigError(
            f"{where}: {what} {value!r} is not allowed; use lower-case letters, digits and '_' "
            "(starting with a letter, at most 63 characters), e.g. 'elderly_care_1km'"
        )
    return value

_TOML_ENCODINGS = (("utf-8", codecs.BOM_UTF8), ("utf-16", codecs.BOM_UTF16_LE), ("utf-16", codecs.BOM_UTF16_BE))

def _decode_toml(raw: bytes, path: Path) -> str:
    """TOML text: UTF-8 as the format says, but also what Windows editors save (BOM, UTF-16, GBK)."""
    for encoding, bom in _TOML_ENCODINGS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise errors.ConfigError(f"{path}: starts like {encoding} text but byte {exc.start} is not; save it as UTF-8") from None
            if encoding != "utf-8":
                log.info("%s: read as %s (TOML files should be UTF-8)", path, encoding)
            return text.lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise errors.ConfigError(
                f"{path}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 4]!r}); save it as UTF-8 in your editor"
            ) from None
        log.warning("%s: not UTF-8, read as GBK/GB18030; save it as UTF-8 to be sure the Chinese names are right", path)
        return text

def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file planners may have edited on Windows (UTF-8, with or without BOM, UTF-16, GBK).

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    dict[str, Any]
        The parsed document.

    Raises
    ------
    InputFileNotFoundError
        If the file does not exist.
    ConfigError
        If it is not valid TOML, naming the line and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise errors.InputFileNotFoundError(f"configuration file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise errors.ConfigError(f"{path}: cannot be read ({exc.strerror}); check the file's permissions") from None
    text = _decode_toml(raw, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise errors.ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    except RecursionError:
        raise errors.ConfigError(f"{path}: arrays or tables are nested too deeply to be a configuration file; check the file") from None


class Checker:
    """Small helper that reads typed keys and names file and entry in errors."""

    def __init__(self, data: Mapping[str, Any], where: str):
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def fail(self, msg: str) -> errors.ConfigError:
        return errors.ConfigError(f"{self.where}: {msg}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required or default is ...:
                raise self.fail(f"missing required key '{key}'")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(f"'{key}' must be {name}, got {value!r}")
        return value

    @overload
    def positive(self, key: str, default: float | EllipsisType = ..., *, allow_none: Literal[False] = False) -> float: ...
    @overload
    def positive(self, key: str, default: float | EllipsisType | None = ..., *, allow_none: bool = False) -> float | None: ...
    def positive(self, key: str, default: Any = ..., *, allow_none: bool = False) -> float | None:
        value = self.get(key, float, None if allow_none and default is ... else default)
        if value is None:
            return None
        if not math.isfinite(value) or value <= 0:
            raise self.fail(f"'{key}' must be a positive number, got {value!r}")
        return value

    def str_list(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a list of strings, got {value!r}")
        return tuple(value)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(f"unknown key(s) {unknown}; check the spelling against layers/README.md")

def tag_table(value: Any, where: str, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise errors.ConfigError(f"{where}: '{key}' must be a table like {{ amenity = \"clinic\" }}")
    out = []
    for k, v in value.items():
        vals = (v,) if isinstance(v, str) else tuple(v) if isinstance(v, list) else None
        if not vals or not all(isinstance(x, str) and x for x in vals):
            raise errors.ConfigError(f"{where}: '{key}.{k}' must be a string or a list of strings, got {v!r}")
        out.append((str(k), vals))
    return tuple(out)

def walk_speed(c: Checker) -> float | None:
    speed = c.positive("walk_speed_m_s", None)
    lo, hi = WALK_SPEED_RANGE_M_S
    if speed is not None and not lo <= speed <= hi:
        hint = f" ({speed:g} m/min would be {speed / 60:.2f} m/s)" if 20 <= speed <= 180 else ""
        raise c.fail(f"'walk_speed_m_s' is in metres per second and walking lies between {lo:g} and {hi:g} m/s; got {speed:g}{hint}")
    return speed

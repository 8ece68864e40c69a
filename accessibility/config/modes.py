"""Travel-mode recipes (``networks/<mode>.toml``): which ways a mode may use, its speed and one-way rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import errors
from .base import MODE_SPEED_RANGE_M_S, WALK_SPEED_RANGE_M_S, Checker, check_id, default_networks_dir, read_toml, tag_table

__all__ = ["ModeRecipe", "load_mode", "recipe_from_dict", "recipe_to_dict"]


@dataclass(frozen=True)
class ModeRecipe:
    """How a travel mode uses the OSM network (one TOML under ``networks/``)."""

    id: str
    speed_m_s: float
    oneway: bool
    include_highway: tuple[str, ...]
    exclude_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    allow_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    oneway_exempt_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ways a trip may use only at its start or end (private grounds, driveways): see :mod:`accessibility.network.private`
    private_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    speeds_kmh: tuple[tuple[str, float], ...] = ()
    weight: str = "length"  # "length" (constant speed) or "time" (per-edge speed)
    source: Path | None = field(default=None, compare=False)

    def speed_for(self, highway: str) -> float:
        """Speed in m/s on a highway class (time-weighted modes)."""
        for hw, kmh in self.speeds_kmh:
            if hw == highway:
                return kmh / 3.6
        return self.speed_m_s

def load_mode(mode: str | Path, *, directory: str | Path | None = None) -> ModeRecipe:
    """Load a network recipe by id (``"walk"``, ``"bike"``, ``"drive"``) or path.

    Parameters
    ----------
    mode
        Mode id, or the path of a recipe TOML (ending in ``.toml``).
    directory
        Where to look up a mode id (default: :func:`default_networks_dir`).

    Returns
    -------
    ModeRecipe
        Which ways the mode may use, its speed and one-way rules.
    """
    path = Path(mode)
    if path.suffix != ".toml":
        directory = Path(directory) if directory is not None else default_networks_dir()
        check_id(str(mode), what="travel mode", where=str(directory))
        path = directory / f"{mode}.toml"
        if not path.is_file():
            known = sorted(p.stem for p in directory.glob("*.toml"))
            raise errors.ConfigError(f"unknown travel mode '{mode}'; known modes are {known} (recipes in {directory})")
    data = read_toml(path)
    c = Checker(data, str(path))
    weight = c.get("weight", str, "length")
    if weight not in ("length", "time"):
        raise c.fail(f"'weight' must be \"length\" or \"time\", got {weight!r}")
    speeds = c.get("speeds_kmh", dict, {})
    lo, hi = MODE_SPEED_RANGE_M_S
    for k, v in speeds.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo * 3.6 <= v <= hi * 3.6:
            raise c.fail(f"speeds_kmh.{k} must be a speed in km/h between {lo * 3.6:g} and {hi * 3.6:g}, got {v!r}")
    mode_id = check_id(c.get("id", str, required=True), what="mode id", where=str(path))
    speed = c.positive("speed_m_s")
    top = WALK_SPEED_RANGE_M_S[1] if mode_id == "walk" else hi
    if speed is None or not lo <= speed <= top:
        raise c.fail(f"'speed_m_s' is in metres per second and must lie between {lo:g} and {top:g} for mode '{mode_id}', got {speed!r}")
    recipe = ModeRecipe(
        id=mode_id,
        speed_m_s=speed,
        oneway=c.get("oneway", bool, False),
        include_highway=c.str_list("include_highway"),
        exclude_tags=tag_table(c.get("exclude_tags", dict, {}), str(path), "exclude_tags"),
        allow_tags=tag_table(c.get("allow_tags", dict, {}), str(path), "allow_tags"),
        oneway_exempt_tags=tag_table(c.get("oneway_exempt_tags", dict, {}), str(path), "oneway_exempt_tags"),
        private_tags=tag_table(c.get("private_tags", dict, {}), str(path), "private_tags"),
        speeds_kmh=tuple((str(k), float(v)) for k, v in speeds.items()),
        weight=weight,
        source=path,
    )
    c.finish()
    return recipe

def recipe_to_dict(recipe: ModeRecipe) -> dict[str, Any]:
    """A travel mode's recipe as plain JSON data (the run folder keeps it by value, not by path)."""
    from dataclasses import asdict

    out = asdict(recipe)
    out["source"] = str(recipe.source) if recipe.source is not None else None
    return out

def recipe_from_dict(data: Mapping[str, Any]) -> ModeRecipe:
    """The recipe of :func:`recipe_to_dict` (tuples restored)."""
    d = dict(data)

    def table(v: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((str(k), tuple(vals)) for k, vals in v)

    return ModeRecipe(
        id=d["id"], speed_m_s=float(d["speed_m_s"]), oneway=bool(d["oneway"]), include_highway=tuple(d["include_highway"]),
        exclude_tags=table(d.get("exclude_tags", ())), allow_tags=table(d.get("allow_tags", ())), oneway_exempt_tags=table(d.get("oneway_exempt_tags", ())),
        private_tags=table(d.get("private_tags", ())),
        speeds_kmh=tuple((str(k), float(v)) for k, v in d.get("speeds_kmh", ())), weight=d.get("weight", "length"),
        source=Path(d["source"]) if d.get("source") else None,
    )

"""Service layers (``layers/<service>.toml``): OSM tag rules, names in Chinese and English, tiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors
from .base import Checker, check_id, default_layers_dir, read_toml, tag_table

__all__ = ["ServiceLayer", "TagRule", "load_service", "load_services"]


@dataclass(frozen=True)
class TagRule:
    """One OSM tag rule: every key in ``tags`` must match (AND).

    A value of ``"*"`` matches any value; a tuple matches any of its values.
    ``not_tags`` excludes features whose tag has one of the given values.
    """

    tags: tuple[tuple[str, tuple[str, ...]], ...]
    not_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tier: str = "default"

    def matches(self, tags: Mapping[str, str]) -> bool:
        """Whether an OSM tag mapping satisfies the rule."""
        for key, values in self.tags:
            value = tags.get(key)
            if value is None or ("*" not in values and value not in values):
                return False
        for key, values in self.not_tags:
            value = tags.get(key)
            if value is not None and ("*" in values or value in values):
                return False
        return True

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.tags)

@dataclass(frozen=True)
class ServiceLayer:
    """A public service (one TOML file under ``layers/``)."""

    id: str
    name_zh: str
    name_en: str
    rules: tuple[TagRule, ...]
    description: str = ""
    source: Path | None = field(default=None, compare=False)

    def name(self, lang: str = "en") -> str:
        """Display name in ``"zh"`` or ``"en"``."""
        return self.name_zh if lang == "zh" else self.name_en

    def match(self, tags: Mapping[str, str]) -> str | None:
        """The tier of the first matching rule, or ``None``."""
        for rule in self.rules:
            if rule.matches(tags):
                return rule.tier
        return None

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.tier for r in self.rules))

def load_service(path: str | Path) -> ServiceLayer:
    """Load one service layer TOML.

    Parameters
    ----------
    path
        A file such as ``layers/elderly_care.toml``.

    Returns
    -------
    ServiceLayer
        The service: id, names, tag rules and tiers.

    Raises
    ------
    ConfigError
        When an entry is missing or invalid, naming the file, the entry and the fix.
    """
    path = Path(path)
    data = read_toml(path)
    c = Checker(data, str(path))
    sid = check_id(c.get("id", str, required=True), what="service id", where=str(path))
    rules = []
    raw_rules = c.get("rules", list, required=True)
    if not raw_rules:
        raise c.fail("'rules' is empty; add at least one [[rules]] table with tags")
    for i, raw in enumerate(raw_rules):
        rc = Checker(raw, f"{path} [[rules]] #{i + 1}")
        tags = tag_table(rc.get("tags", dict, required=True), rc.where, "tags")
        if not tags:
            raise rc.fail("'tags' is empty")
        not_tags = tag_table(rc.get("not_tags", dict, {}), rc.where, "not_tags")
        tier = check_id(rc.get("tier", str, "default"), what="tier", where=rc.where)
        rc.finish()
        rules.append(TagRule(tags=tags, not_tags=not_tags, tier=tier))
    layer = ServiceLayer(
        id=sid,
        name_zh=c.get("name_zh", str, required=True),
        name_en=c.get("name_en", str, required=True),
        rules=tuple(rules),
        description=c.get("description", str, ""),
        source=path,
    )
    c.finish()
    return layer

def load_services(directory: str | Path | None = None) -> dict[str, ServiceLayer]:
    """Load every service TOML in ``directory`` (default: the shipped ``layers/``).

    ``goals.toml`` is skipped; service ids must be unique.

    Parameters
    ----------
    directory
        Folder of ``<service>.toml`` files (default: :func:`default_layers_dir`).

    Returns
    -------
    dict[str, ServiceLayer]
        By service id, in file-name order.
    """
    directory = Path(directory) if directory is not None else default_layers_dir()
    services: dict[str, ServiceLayer] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == "goals.toml":
            continue
        layer = load_service(path)
        if layer.id in services:
            raise errors.ConfigError(
                f"{path}: service id '{layer.id}' is also defined in {services[layer.id].source}; ids must be unique"
            )
        services[layer.id] = layer
    if not services:
        raise errors.ConfigError(f"{directory}: no service layer TOML files found")
    return services

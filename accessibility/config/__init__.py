"""Validated, frozen configuration loaded from TOML.

Three kinds of file, all editable by planners:

* ``layers/<service>.toml`` -- one facility service each (OSM tag rules,
  Chinese and English names, tiers);
* ``layers/goals.toml`` -- the policy goals (thresholds, speeds, targets);
* ``networks/<mode>.toml`` -- network recipes (which ways a mode may use,
  its speed and one-way rules).

Everything is parsed into frozen dataclasses; a mistake raises
:class:`~accessibility.errors.ConfigError` naming the file, the entry and the fix.
The modules: :mod:`.base` (reading TOML, identifiers, typed keys),
:mod:`.services`, :mod:`.goals` (goals and provision ratios), :mod:`.modes`.
"""

from __future__ import annotations

from .base import GOAL_IDS, ID_PATTERN, check_id, default_layers_dir, default_networks_dir, read_toml
from .goals import DensityRule, Goal, Provision, Target, Walker, goal_from_dict, goal_to_dict, load_goals, load_provisions, load_walkers
from .modes import ModeRecipe, load_mode, recipe_from_dict, recipe_to_dict
from .services import ServiceLayer, TagRule, load_service, load_services

__all__ = [
    "GOAL_IDS",
    "ID_PATTERN",
    "DensityRule",
    "Goal",
    "ModeRecipe",
    "Provision",
    "ServiceLayer",
    "TagRule",
    "Target",
    "Walker",
    "check_id",
    "default_layers_dir",
    "default_networks_dir",
    "goal_from_dict",
    "goal_to_dict",
    "load_goals",
    "load_mode",
    "load_provisions",
    "load_service",
    "load_services",
    "load_walkers",
    "read_toml",
    "recipe_from_dict",
    "recipe_to_dict",
]

"""Command-line options generated from the input specs' fields (:mod:`accessibility.core.specs`).

A spec field declared with :func:`~accessibility.core.specs.option` becomes one
option; :func:`add_spec` adds them and :func:`spec_kwargs` collects what was
given, so the specs are defined once for Python and the command line.
``--facilities FILE`` starts one facility list; the ``--service`` and
``--facilities-*`` options after it fill that list (:class:`FacilityGroups`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..core.specs import CliOption, cli_fields

__all__ = ["FacilityGroups", "add_facility_options", "add_spec", "pairs", "spec_kwargs"]


def _kwargs(opt: CliOption) -> dict[str, Any]:
    kw: dict[str, Any] = {"help": opt.help}
    if opt.metavar:
        kw["metavar"] = opt.metavar
    if opt.choices:
        kw["choices"] = list(opt.choices)
    if opt.parse:
        kw["type"] = opt.parse
    return kw


def add_spec(parser: argparse.ArgumentParser | argparse._ArgumentGroup, spec: type, prefix: str, *, skip: Sequence[str] = ()) -> None:
    """Add an option for every command-line field of ``spec`` (dest ``<prefix>__<field>``)."""
    for f, opt in cli_fields(spec):
        if f.name in skip:
            continue
        kw = _kwargs(opt)
        kw["dest"] = f"{prefix}__{f.name}"
        kw["default"] = None  # unset: the spec's own default
        if opt.repeat or opt.pairs:
            kw["action"] = "append"
        parser.add_argument(opt.flag, **kw)


def pairs(values: Sequence[str], flag: str) -> dict[str, str]:
    """``KEY=VALUE`` strings as a mapping (an :class:`~accessibility.errors.InputError` naming the flag otherwise)."""
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise errors.InputError(f"{flag} takes KEY=COLUMN, e.g. beds=核定床位; got {v!r}")
        out[key.strip()] = value.strip()
    return out


def spec_kwargs(args: argparse.Namespace, spec: type, prefix: str) -> dict[str, Any]:
    """The fields of ``spec`` given on the command line, ready for ``spec(**kwargs)``."""
    out: dict[str, Any] = {}
    for f, opt in cli_fields(spec):
        value = getattr(args, f"{prefix}__{f.name}", None)
        if value is None:
            continue
        out[f.name] = pairs(value, opt.flag) if opt.pairs else tuple(value) if opt.repeat else value
    return out


class FacilityGroups(argparse.Action):
    """``--facilities FILE`` opens a list; the options after it (until the next ``--facilities``) fill its fields."""

    def __init__(self, option_strings: list[str], dest: str, *, field: str, opt: CliOption, **kwargs: Any) -> None:
        self.field, self.opt = field, opt
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        groups = [dict(g) for g in (getattr(namespace, self.dest, None) or [])]
        if self.field == "path":
            groups.append({"path": values})
        elif not groups:
            parser.error(f"{option_string} must follow the --facilities FILE it applies to")
        elif self.opt.pairs:
            key, sep, col = str(values).partition("=")
            if not sep or not key.strip() or not col.strip():
                parser.error(f"{option_string} takes KIND=COLUMN, e.g. beds=核定床位; got {values!r}")
            groups[-1].setdefault(self.field, {})[key.strip()] = col.strip()
        elif self.field in groups[-1]:
            parser.error(f"{option_string} given twice for --facilities {groups[-1]['path']}")
        else:
            groups[-1][self.field] = values
        setattr(namespace, self.dest, groups)


def add_facility_options(group: argparse._ArgumentGroup, spec: type) -> None:
    """The ``--facilities`` options of a :class:`~accessibility.readers.facility_files.FacilityInput`, grouped per file."""
    for f, opt in cli_fields(spec):
        kw = _kwargs(opt)
        group.add_argument(opt.flag, action=FacilityGroups, dest="facility_files", default=[], field=f.name, opt=opt, **kw)

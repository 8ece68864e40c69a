"""Input specs are frozen dataclasses; their fields say how the command line names them.

One definition serves the Python API, validation and the command line: a field
declared with :func:`option` carries its flag, help and parser, and
:mod:`accessibility.cli` builds the options from the dataclass (so a new field
of :class:`~accessibility.readers.facility_files.FacilityInput` is a new
``--facilities-*`` option without a second list to keep in step).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CliOption", "cli_fields", "number", "option"]


@dataclass(frozen=True)
class CliOption:
    """How a spec field appears on the command line."""

    flag: str
    help: str
    metavar: str | None = None
    choices: Sequence[str] | None = None
    parse: Callable[[str], Any] | None = None
    repeat: bool = False  # the option may be given several times (a tuple of values)
    pairs: bool = False  # values are KEY=VALUE pairs (a mapping)


def option(
    flag: str,
    help: str,  # noqa: A002 - argparse's name for the option's description
    *,
    default: Any = None,
    metavar: str | None = None,
    choices: Sequence[str] | None = None,
    parse: Callable[[str], Any] | None = None,
    repeat: bool = False,
    pairs: bool = False,
    required: bool = False,
) -> Any:
    """A dataclass field with a default that the command line offers as ``flag``.

    Parameters
    ----------
    flag
        The option, e.g. ``"--facilities-crs"``.
    help
        Its one-line help, with the unit or the accepted values.
    default
        The field's default (a tuple for ``repeat``, an empty mapping for ``pairs``).
    metavar, choices, parse
        As for :meth:`argparse.ArgumentParser.add_argument` (``parse`` is its ``type``).
    repeat
        The option can be repeated; the field holds a tuple.
    pairs
        The option takes ``KEY=VALUE`` and can be repeated; the field holds a mapping.
    required
        The field has no default (the spec's first, defining field, e.g. a path).

    Returns
    -------
    dataclasses.Field
    """
    meta = {"cli": CliOption(flag, help, metavar, tuple(choices) if choices else None, parse, repeat, pairs)}
    if required:
        return dataclasses.field(metadata=meta)
    if repeat:
        return dataclasses.field(default=tuple(default or ()), metadata=meta)
    if pairs:
        return dataclasses.field(default=None, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def cli_fields(spec: type) -> list[tuple[dataclasses.Field, CliOption]]:
    """The fields of a spec dataclass that have a command-line option, in declaration order."""
    return [(f, f.metadata["cli"]) for f in dataclasses.fields(spec) if "cli" in f.metadata]


def number(lo: float, hi: float, unit: str, *, integer: bool = False, lo_open: bool = False) -> Callable[[str], float]:
    """A parser for a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), naming the unit when it refuses one.

    The function raises :class:`argparse.ArgumentTypeError` with the reason,
    which argparse shows as ``argument --x: ...``.
    """

    def parse(text: str) -> float:
        try:
            value: float = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if integer else 'a number'} ({unit})") from None
        if not math.isfinite(value) or value < lo or value > hi or (lo_open and value == lo):
            lower = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: {unit}, {lower} and at most {hi:g}")
        return value

    parse.__name__ = "number"
    return parse

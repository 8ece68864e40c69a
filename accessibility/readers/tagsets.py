"""Rows' tags numbered by distinct dict, so a rule per row is decided once per distinct tag set.

The readers give rows with equal tags one shared dict
(:func:`accessibility.readers.opl.tag_dicts`): a province's millions of ways
and buildings have a few thousand distinct tag sets, and a Python test per
row would cost seconds where one per set costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TagSets", "distinct_tags"]


def distinct_tags(tags: list[dict[str, str]]) -> tuple[list[dict[str, str]], np.ndarray]:
    """The distinct tag dicts of rows and each row's position among them.

    The readers give rows with the same tags one shared dict
    (:func:`accessibility.readers.opl.tag_dicts`), so dicts are told apart by
    identity: a per-row rule can be decided once per distinct dict.
    """
    if not len(tags):
        return [], np.zeros(0, dtype=np.int64)
    # ids through the built-in map (no Python frame per row), numbered in numpy: 10x faster than a dict per row
    ids = np.fromiter(map(id, tags), dtype=np.uint64, count=len(tags))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    # both in order of first appearance
    rank = np.empty(len(first), dtype=np.int64)
    by_first = np.argsort(first, kind="stable")
    rank[by_first] = np.arange(len(first))
    return [tags[i] for i in first[by_first].tolist()], rank[inverse.ravel()]


@dataclass(frozen=True)
class TagSets:
    """Rows' tags numbered by distinct dict (:func:`distinct_tags`), so a per-row rule is decided once per distinct tag set.

    >>> ts = TagSets.of(rows_tags)  # doctest: +SKIP
    >>> is_gate = ts.each(lambda t: t.get("barrier") == "gate", bool)  # doctest: +SKIP
    """

    sets: list[dict[str, str]]
    code: np.ndarray  # per row: its tag set

    @classmethod
    def of(cls, tags: list[dict[str, str]]) -> TagSets:
        """The distinct tag sets of rows whose equal tags share one dict (as the readers give them)."""
        return cls(*distinct_tags(tags))

    def each(self, rule: Callable[[dict[str, str]], Any], dtype: Any = object) -> np.ndarray:
        """``rule`` of every row's tags, as an array of ``dtype`` (one call per distinct tag set)."""
        if dtype is object:  # a None pad keeps numpy from reading tuples as a second dimension
            return np.array([rule(t) for t in self.sets] + [None], dtype=object)[:-1][self.code]
        return np.array([rule(t) for t in self.sets], dtype=dtype).reshape(-1)[self.code]

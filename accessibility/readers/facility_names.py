"""Whether the rows of a planners' list are of its service at all, judged by their names.

A raw POI dump passes every coordinate check: a Baidu government-POI file given
as the elderly-care list has real coordinates, and its 村民委员会 and 财政局 rows
would all count as care homes. Each service layer lists the words its facilities'
names hold (``keywords``) and words that mark another kind of place
(``exclude_keywords``, ``layers/<service>.toml``). :func:`name_check` finds the
rows whose name holds none of the keywords, or one of the exclusion words;
:func:`~accessibility.readers.facility_files.read_facilities` uses them and lists
them (action ``used_unverified``), or rejects them with ``strict_names``, and
:func:`name_warnings` counts them in a note with examples.

Matching is vectorised (one compiled alternation per word list), after NFKC
normalisation (full-width letters, compatibility forms) and case folding;
English words match as whole words. Rows without a name are not judged.
"""

from __future__ import annotations

import argparse
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..core.notes import Note
from . import tabletext

__all__ = ["NAME_EXAMPLES", "UNVERIFIED_MARK", "NameCheck", "keyword_pattern", "name_check", "name_warnings", "yes_no"]

#: examples of names quoted in the note
NAME_EXAMPLES = 5
#: how the reason (and a used facility's ``import_note``) of a row whose name is not of its service starts
UNVERIFIED_MARK = "name is not of "


def _fold(word: str) -> str:
    """A word as compared: NFKC, case-folded, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", word).casefold().split())


def _fold_series(values: pd.Series) -> pd.Series:
    """:func:`_fold` on a column, vectorised ('' for missing values)."""
    text = tabletext.cell_text(values.reset_index(drop=True))  # NFKC, stripped
    return text.str.casefold().str.replace(r"\s+", " ", regex=True).astype(object)


@functools.lru_cache(maxsize=128)
def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of ``words`` (``None`` for no words).

    Words are NFKC-normalised and case-folded like the names they are matched
    against. A word of ASCII letters and digits (``park``, ``care home``)
    matches as a whole word, plural ``-s``/``-es`` allowed (``parks``, not
    ``parking``); other words (Chinese) match anywhere in the name.

    Parameters
    ----------
    words
        The words, e.g. a layer's ``keywords``.

    Returns
    -------
    re.Pattern or None
    """
    parts = []
    for w in sorted({_fold(w) for w in words} - {""}, key=len, reverse=True):
        esc = re.escape(w)
        if w.isascii() and w[0].isalnum():
            esc = rf"(?<![a-z0-9]){esc}(?:e?s)?(?![a-z0-9])"
        parts.append(esc)
    return re.compile("|".join(parts)) if parts else None


@dataclass
class NameCheck:
    """Which rows' names are of a service (:func:`name_check`).

    Attributes
    ----------
    judged
        Rows with a name (rows without one are not judged).
    unverified
        Judged rows whose name (and type text) holds none of the keywords, or holds an exclusion word.
    reasons
        Per row, why it is unverified ('' for the others).
    """

    judged: np.ndarray
    unverified: np.ndarray
    reasons: np.ndarray

    @classmethod
    def none(cls, n: int) -> NameCheck:
        """Nothing judged (no name column, or a layer without keywords)."""
        return cls(np.zeros(n, bool), np.zeros(n, bool), np.full(n, "", dtype=object))


def name_check(names: pd.Series, layer: config.ServiceLayer, *, types: pd.Series | None = None) -> NameCheck:
    """Whether each name is of the service: holds one of ``layer.keywords`` and none of ``layer.exclude_keywords``.

    A keyword in ``types`` (the list's type/tier column, e.g. 类型 = 养老院)
    also counts; an exclusion word in either marks the row. A layer without
    keywords judges nothing.

    Parameters
    ----------
    names
        The names, one per row (missing or blank: not judged).
    layer
        The service layer.
    types
        The text of the list's type/tier column, if it has one (same length).

    Returns
    -------
    NameCheck
    """
    n = len(names)
    folded = _fold_series(names)
    judged = (folded != "").to_numpy(dtype=bool)
    keys = keyword_pattern(layer.keywords)
    if keys is None or not judged.any():
        return NameCheck.none(n)
    texts = [folded] if types is None else [folded, _fold_series(types)]
    hit = np.zeros(n, bool)
    for text in texts:
        hit = hit | text.str.contains(keys, regex=True).to_numpy(dtype=bool)
    excluded = np.zeros(n, bool)
    word = np.full(n, "", dtype=object)
    ex = keyword_pattern(layer.exclude_keywords)
    if ex is not None:
        for text in texts:
            found = text.str.extract(f"({ex.pattern})", expand=False).fillna("").to_numpy(dtype=object)
            new = (found != "") & ~excluded
            word[new] = found[new]
            excluded = excluded | new
    reasons = np.full(n, "", dtype=object)
    shown = ", ".join(layer.keywords[:6]) + (", ..." if len(layer.keywords) > 6 else "")
    reasons[judged & ~hit & ~excluded] = f"{UNVERIFIED_MARK}{layer.id}: none of its keywords ({shown}) in it"
    marked = judged & excluded
    reasons[marked] = [f"{UNVERIFIED_MARK}{layer.id}: {w!r} marks another kind of place" for w in word[marked]]
    return NameCheck(judged, judged & (~hit | excluded), reasons)


def name_warnings(path: Path, layer: config.ServiceLayer, check: NameCheck, counted: np.ndarray, names: np.ndarray, *, strict: bool) -> list[Note]:
    """The note counting the rows whose names are not of the service, with examples (none when every name is).

    Parameters
    ----------
    path
        The list's file.
    layer
        Its service.
    check
        :func:`name_check` of its rows.
    counted
        The rows to count: those used (default), or those rejected for their names alone (``strict``).
    names
        The names as written in the file.
    strict
        Whether the rows were rejected (``--facilities-strict-names``) rather than used.

    Returns
    -------
    list[Note]
        One ``facilities.unverified_names`` warning, in English and Chinese, or none.
    """
    hit = check.unverified & counted
    if not hit.any():
        return []
    k, of = int(hit.sum()), int((check.judged & counted).sum())
    examples = list(dict.fromkeys(str(x) for x in names[hit]))[:NAME_EXAMPLES]
    quoted = ", ".join(f"'{x}'" for x in examples)
    quoted_zh = "、".join(f"“{x}”" for x in examples)
    kind_en, kind_zh, file, rejects = layer.name_en.lower(), layer.name_zh, path.name, f"rejects_{layer.id}.csv"
    if strict:
        en = f"{file}: {k} of {of} named rows rejected: their names are not of {kind_en} (e.g. {quoted}); listed in {rejects} (--facilities-strict-names)"
        zh = f"{file}：{of}行中有{k}行的名称不像{kind_zh}（如{quoted_zh}），已按 --facilities-strict-names 剔除，列于 {rejects}"
    else:
        en = (
            f"{file}: {k} of {of} named rows used have names that are not of {kind_en} (e.g. {quoted}); "
            f"they are used, and listed in {rejects} (action used_unverified). Check that the file lists {kind_en} "
            "(not a raw POI dump), or reject such rows with --facilities-strict-names yes"
        )
        zh = (
            f"{file}：使用的{of}行中有{k}行名称不像{kind_zh}（如{quoted_zh}），仍被计入，并列于 {rejects}（action 为 used_unverified）。"
            f"请确认该文件是{kind_zh}名单（而非原始POI导出），或用 --facilities-strict-names yes 剔除这些行"
        )
    context = {
        "service": layer.id, "service_en": layer.name_en, "service_zh": layer.name_zh, "file": file,
        "unverified": k, "named": of, "strict": strict, "examples": examples,
    }
    return [Note(en, code="facilities.unverified_names", severity="warning", message_zh=zh, context=context)]


def yes_no(text: str) -> bool:
    """The value of ``--facilities-strict-names yes|no`` (also true/false, 1/0, on/off).

    Raises
    ------
    argparse.ArgumentTypeError
        For any other text (argparse shows it as ``argument --facilities-strict-names: ...``).
    """
    value = text.strip().lower()
    if value in ("yes", "y", "true", "1", "on"):
        return True
    if value in ("no", "n", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not yes or no")

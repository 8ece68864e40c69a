"""Notes and warnings as structured records, collected in one place and carried to every output.

A number without its caveat is a bug: every estimate, partial cover, missing
service or rejected row becomes a :class:`Note` with a code, a severity, the
message in English (and Chinese where written), and its context (the service,
goal, district, file or row it is about). Stages return their notes; the run
collects them in a :class:`Notes` list, which ``goals.json``, ``goals.md``, the
console, the map and the report all read.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from . import notetext

__all__ = ["CAVEATS", "SEVERITIES", "Note", "Notes", "main_caveat"]

#: ``info``: how the data was read or used; ``warning``: a number shown is less certain than it looks
SEVERITIES = ("info", "warning")

#: The short form of the caveats that may stand beside a verdict (console line, report headline,
#: map legend), by code, in priority order: the first one a goal has is its main caveat.
#: ``{...}`` are filled from the note's context (``service_name`` from ``service_en``/``service_zh``,
#: else ``service``; ``service_facility``: “name”设施 unless the name says 设施/机构; ``share_pct`` from ``share``).
CAVEATS: dict[str, tuple[str, str]] = {
    "data.partial": ("data covers {share_pct} of the area", "数据仅覆盖{share_pct}的区域"),
    "facilities.none": ("no {service_name} facility in the data", "数据中没有{service_facility}"),
    "facilities.incomplete": ("{service_name}: likely incomplete data", "{service_name}：数据可能不全"),
    "population.street_fallback": ("population estimated from street length", "人口按道路长度估算"),
    "population.estimate": ("population estimated", "人口为估算"),
    "population.none": ("no residents in the area", "区域内无居民"),
    "datum.mismatch": ("coordinates may be in another system", "坐标系可能有误"),
}


@dataclass(frozen=True)
class Note:
    """One note of a run.

    Attributes
    ----------
    message
        The note in English.
    code
        A stable identifier of the kind of note (``"population.estimate"``,
        ``"facilities.none"``, ``"datum.mismatch"``, ``"input.repaired"``...).
    severity
        ``"info"`` or ``"warning"``.
    message_zh
        The note in Chinese, where one is written where the note is made (else
        :func:`~accessibility.core.notetext.zh_text` gives it from the code).
    context
        What it is about: ``service``, ``goal``, ``district``, ``file``, ``row``...
    """

    message: str
    code: str = "note"
    severity: str = "info"
    message_zh: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def __str__(self) -> str:
        return self.message

    def __contains__(self, text: str) -> bool:
        """``"words" in note``: whether the message holds the words (notes read like their text)."""
        return text in self.message

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``; in Chinese, the note's own ``message_zh``, else the catalogue's (:mod:`.notetext`)."""
        if lang != "zh":
            return self.message
        return self.message_zh or notetext.zh_text(self.message, self.code, self.context)

    def caveat(self, lang: str = "en") -> str:
        """The short form of the note (:data:`CAVEATS`), for a verdict line; the message when it has none."""
        pair = CAVEATS.get(self.code)
        if pair is None:
            return self.text(lang)
        fields = dict(self.context)
        fields["service_name"] = fields.get("service_zh" if lang == "zh" else "service_en") or fields.get("service", "")
        fields["service_facility"] = notetext.facility_zh(str(fields["service_name"]), quote=False)  # 文化设施, not 文化设施设施
        share = fields.get("share")
        fields["share_pct"] = f"{share:.0%}" if isinstance(share, (int, float)) else "?"
        try:
            return (pair[1] if lang == "zh" else pair[0]).format(**fields)
        except (KeyError, IndexError, ValueError):
            return self.text(lang)

    def to_dict(self) -> dict[str, Any]:
        """The record as written to ``goals.json``."""
        return {"code": self.code, "severity": self.severity, "message": self.message, "message_zh": self.message_zh, "context": dict(self.context)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Note:
        """A note from :meth:`to_dict`'s record (or a plain message)."""
        if isinstance(data, str):
            return cls(data)
        return cls(
            message=str(data["message"]),
            code=str(data.get("code", "note")),
            severity=str(data.get("severity", "info")),
            message_zh=data.get("message_zh"),
            context=dict(data.get("context") or {}),
        )


class Notes:
    """An ordered list of :class:`Note`, without repeats, that also answers ``"text" in notes``."""

    def __init__(self, items: Iterable[Note | str] = ()) -> None:
        self._items: list[Note] = []
        self.extend(items)

    def add(self, message: str | Note, *, code: str = "note", severity: str = "info", zh: str | None = None, **context: Any) -> Note:
        """Add a note (a repeated message is kept once) and return it."""
        note = message if isinstance(message, Note) else Note(message, code=code, severity=severity, message_zh=zh, context=context)
        if note.message not in self:
            self._items.append(note)
        return note

    def warn(self, message: str, *, code: str, zh: str | None = None, stacklevel: int = 3, **context: Any) -> Note:
        """Add a warning note and also emit it as a :class:`~accessibility.errors.DataQualityWarning`."""
        warnings.warn(message, errors.DataQualityWarning, stacklevel=stacklevel)
        return self.add(message, code=code, severity="warning", zh=zh, **context)

    def extend(self, items: Iterable[Note | str], *, code: str = "note", severity: str = "info", **context: Any) -> None:
        """Add several notes; plain strings get ``code``, ``severity`` and ``context``."""
        for item in items:
            self.add(item, code=code, severity=severity, **context)

    def texts(self, lang: str = "en") -> list[str]:
        """Every message in ``lang``."""
        return [n.text(lang) for n in self._items]

    def warnings(self) -> list[Note]:
        """The notes of severity ``warning``."""
        return [n for n in self._items if n.severity == "warning"]

    def to_list(self) -> list[dict[str, Any]]:
        """Every record, as written to ``goals.json``."""
        return [n.to_dict() for n in self._items]

    def __contains__(self, item: object) -> bool:
        text = item.message if isinstance(item, Note) else item
        return any(n.message == text for n in self._items)

    def __iter__(self) -> Iterator[Note]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> Note:
        return self._items[i]

    def __repr__(self) -> str:
        return f"Notes({self._items!r})"


def main_caveat(notes: Iterable[Note]) -> Note | None:
    """The caveat that matters most among ``notes`` (the first code of :data:`CAVEATS` present), if any."""
    by_code: dict[str, Note] = {}
    for n in notes:
        by_code.setdefault(n.code, n)
    for code in CAVEATS:
        if code in by_code:
            return by_code[code]
    return None

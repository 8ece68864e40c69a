"""Untrusted text (names from OSM and planners' files) made inert for each output format.

Facility, district, goal and file names come from data anyone can edit
(OpenStreetMap tags, planners' spreadsheets). They are shown as text, never
interpreted: HTML pages escape them (``html.escape`` / ``textContent``),
Markdown escapes them with :func:`md_escape`, matplotlib draws them with math
parsing off, and no template engine ever sees them.
"""

from __future__ import annotations

import re

__all__ = ["md_escape"]

# Markdown's inline syntax, tables, headings and (GitHub/Pandoc) math
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~$!{}<>&])")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_escape(text: object) -> str:
    """``text`` as Markdown that renders literally: no HTML, links, emphasis, tables or math.

    >>> md_escape("<b>a|b</b> $x$")
    '&lt;b&gt;a\\\\|b&lt;/b&gt; \\\\$x\\\\$'
    """

    def sub(m: re.Match[str]) -> str:
        c = m.group(1)
        return _MD_ENTITY.get(c, "\\" + c)

    return _MD_SPECIAL.sub(sub, str(text)).replace("\r", " ").replace("\n", " ")

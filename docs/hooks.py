"""MkDocs hook: README.md is the single source of the user guide.

The README is split at its ``## `` headings (outside code blocks); each section is served
as the page ``guide/<slug>.md`` (the heading, lower-cased, punctuation dropped, spaces as
``-``), with its headings raised one level so the section heading becomes the page title.
The ``### `` subsections named in ``OWN_PAGES`` become pages of their own too, and leave a
link behind in their section. The text before the first ``## `` (what the tool is for and
the two commands) replaces the line ``<!-- readme: intro -->`` of ``docs/index.md``.

The API reference pages name a layer with ``<!-- modules: accessibility.X -->``, replaced by the
mkdocstrings directives of the package (what its ``__init__.py`` defines) and of each public
module in it, found on disk at build time.

Nothing is copied into ``docs/``, so the guide cannot drift from the README. Drift the
other way is caught by ``mkdocs build --strict``: a new README section is a page missing
from the nav (``validation.omitted_files: warn`` in mkdocs.yml), a renamed heading leaves
a nav entry pointing at no page, and both are warnings, so errors in strict mode.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

#: ``### `` subsections of the README that get a guide page of their own
OWN_PAGES = ("Bad input and hostile data",)
#: where the guide pages are served, inside docs_dir
GUIDE_DIR = "guide"
#: the line of a docs page replaced by the README's text before its first ``## `` heading
INTRO_MARKER = "<!-- readme: intro -->"
#: the line of an API reference page replaced by the mkdocstrings directives of a module, or of a
#: package and each of its public modules (:func:`api_directives`), so that modules added, moved
#: or removed need no edit of docs/
MODULES_MARKER = re.compile(r"^<!-- modules: ([\w.]+) -->$", re.M)

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6}) (.*)$")


def slug(heading: str) -> str:
    """File name stem of the guide page of a README heading: ``"Planners' own data"`` -> ``planners-own-data``."""
    text = heading.lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _lines_with_fences(text: str):
    """Yield ``(line, in_code)``; fence lines themselves count as code."""
    fence: str | None = None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            yield line, True
        elif fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            yield line, True
        else:
            yield line, False


def split_readme(text: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The README's intro and its guide pages.

    Parameters
    ----------
    text
        The README's Markdown.

    Returns
    -------
    tuple[str, dict[str, tuple[str, str]]]
        The text between the title and the first ``## `` heading, and per page slug the
        heading and the page's Markdown (headings raised one level), in README order.
    """
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []  # (heading, lines) per "## " and per own-page "### "
    parent_of: dict[int, int] = {}  # own-page section -> the "## " section it is part of
    target = -1  # the section the next lines belong to (-1: the intro)
    for line, code in _lines_with_fences(text):
        m = None if code else _HEADING.match(line)
        level = len(m.group(1)) if m else 0
        heading = m.group(2).strip() if m else ""
        if level == 1:
            continue  # the title
        if level == 2:
            sections.append((heading, []))
            target = len(sections) - 1
            continue
        if level == 3 and heading in OWN_PAGES and target >= 0:
            parent = parent_of.get(target, target)
            sections[parent][1].append(f"See [{heading}]({slug(heading)}.md).")
            sections.append((heading, []))
            target = len(sections) - 1
            parent_of[target] = parent
            continue
        if level == 3 and target in parent_of:
            target = parent_of[target]  # the next subsection of the parent stays on the parent's page
        (intro if target < 0 else sections[target][1]).append(line)
    pages: dict[str, tuple[str, str]] = {}
    for i, (heading, lines) in enumerate(sections):
        shift = 2 if i in parent_of else 1
        body = []
        for line, code in _lines_with_fences("\n".join(lines)):
            m = None if code else _HEADING.match(line)
            if not m and not code:  # the README links docs/img/x.png from the repository root; a guide page sits in docs/guide/
                line = line.replace("](docs/", "](../")
            body.append(f"{'#' * max(1, len(m.group(1)) - shift)} {m.group(2)}" if m else line)
        key = slug(heading)
        if key in pages:
            raise PluginError(f"README.md: two sections have the page name {key!r} ({pages[key][0]!r}, {heading!r})")
        where = f"*{heading}* (under *{sections[parent_of[i]][0]}*)" if i in parent_of else f"*{heading}*"
        note = f'!!! note "Source"\n    This page is the section {where} of the repository\'s `README.md`; edit it there.\n'
        pages[key] = (heading, f"# {heading}\n\n" + "\n".join(body).strip("\n") + "\n\n" + note)
    return "\n".join(intro).strip("\n") + "\n", pages


def _readme(config) -> str:
    path = Path(config.config_file_path).parent / "README.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PluginError(f"docs/hooks.py: cannot read {path}: {exc}") from exc


def on_files(files: Files, config) -> Files:
    """Add one generated guide page per README section."""
    _, pages = split_readme(_readme(config))
    for key, (_, markdown) in pages.items():
        uri = f"{GUIDE_DIR}/{key}.md"
        if files.get_file_from_path(uri) is not None:
            raise PluginError(f"docs/{uri} exists, but that guide page is generated from README.md: remove the file")
        files.append(File.generated(config, uri, content=markdown))
    return files


def _own_names(init: Path) -> list[str]:
    """Public names a package's ``__init__.py`` defines itself (not those it imports), in source order."""
    names: list[str] = []
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]  # constants, not ``log``
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def api_directives(config, name: str) -> str:
    """mkdocstrings directives for a module, or for a package and each of its public modules.

    A package is rendered with what its ``__init__.py`` defines (its re-exports are
    documented where they are defined), then one ``::: package.module`` per public module
    file and subpackage, in file-name order.
    """
    base = Path(config.config_file_path).parent.joinpath(*name.split("."))
    if base.with_suffix(".py").is_file():
        return f"::: {name}"
    init = base / "__init__.py"
    if not init.is_file():
        raise PluginError(f"docs: <!-- modules: {name} --> names no module or package ({init} does not exist)")
    own = _own_names(init)
    members = "\n".join(f"        - {n}" for n in own) if own else ""
    blocks = [f"::: {name}\n    options:\n      members:\n{members}" if own else f"::: {name}\n    options:\n      members: false"]
    children = sorted(
        [f.stem for f in base.glob("*.py") if f.stem != "__init__"] + [d.name for d in base.iterdir() if (d / "__init__.py").is_file()]
    )
    blocks += [f"::: {name}.{child}" for child in children if not child.startswith("_")]
    return "\n\n".join(blocks)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Put the README's intro where a page has the line ``<!-- readme: intro -->``, and one
    ``::: module`` directive per public module where it has ``<!-- modules: package -->``."""
    if INTRO_MARKER in markdown:
        intro, _ = split_readme(_readme(config))
        markdown = markdown.replace(INTRO_MARKER, intro)
    return MODULES_MARKER.sub(lambda m: api_directives(config, m.group(1)), markdown)

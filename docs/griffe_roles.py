"""Griffe extension: the docstrings' Sphinx roles become links of the documentation site.

The package's docstrings are numpydoc with Sphinx cross-references (``:func:`run```,
``:class:`~accessibility.errors.InputError```, ``:mod:`.graph```). mkdocstrings renders
Markdown, where those would show as ``:func:`` noise, so before the docstrings are parsed
each role is resolved the way Python would resolve the name where the docstring stands
(the object, then its parents: members and imports) and becomes an autorefs link,
``[`text`][canonical.path]``; ``~`` keeps only the last part as the text, and
``:attr:`text <target>``` shows ``text``. A target that
is not rendered itself (a dataclass field, a private helper) links to the nearest object
of its path that is. A trailing ``::`` (reST literal block) becomes ``:``.

A role naming another library's object (``os.replace``, ``pyproj.CRS``) is shown as code.
A role naming nothing (a stale path such as ``accessibility.osm`` from before the
0.2 layout, or a misspelt name) is shown as code and logged, with the docstring's
file and line: as a WARNING, so an error of ``mkdocs build --strict``, for the
packages listed in ``CHECKED``, and as INFO for the others.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from typing import Any

import griffe

log = logging.getLogger("mkdocs.plugins.griffe_roles")

# Packages whose unresolved cross-references fail the strict build.
# TEMPORARY (docs build, 0.2 reorganisation): accessibility.run, .tools, .stages, .briefing and
# .cli are being rewritten; their unresolved references are logged at INFO level until then.
# Add them here once their docstrings are fixed (`mkdocs build --strict 2>&1 | grep "names nothing"`).
CHECKED = (
    "accessibility.core",
    "accessibility.coords",
    "accessibility.config",
    "accessibility.readers",
    "accessibility.network",
    "accessibility.errors",
)

_ROLE = re.compile(r":(?:py:)?(func|class|mod|data|attr|meth|exc|obj|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"(?<=\S)::$", re.M)


def _rendered(obj: griffe.Object) -> bool:
    """Whether mkdocstrings renders ``obj`` (and so gives it an anchor) with the site's options."""
    if any(part.startswith("_") for part in obj.path.split(".")[1:]):
        return False  # filters: ["!^_"]
    if obj.is_module:
        return True
    return bool(obj.docstring) and _rendered(obj.parent)  # show_if_no_docstring: false


class SphinxRoles(griffe.Extension):
    """Turn ``:role:`target``` in every docstring of a package into an autorefs link."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self.collection = loader.modules_collection
        for obj in self._objects(pkg, set()):
            if obj.docstring:
                obj.docstring.value = self._rewrite(obj)

    def _objects(self, obj: griffe.Object, seen: set[str]):
        if obj.path in seen:
            return
        seen.add(obj.path)
        yield obj
        for member in obj.members.values():
            if not member.is_alias:
                yield from self._objects(member, seen)

    def _lookup(self, path: str, depth: int = 0) -> griffe.Object | None:
        """The object at a dotted path, following imports (aliases) to their targets."""
        if depth > 20:
            return None
        parts = path.split(".")
        try:
            obj = self.collection[parts[0]]
        except KeyError:
            return None
        for part in parts[1:]:
            obj = self._final(obj, depth)
            if obj is None or part not in obj.members:
                return None
            obj = obj.members[part]
        return self._final(obj, depth)

    def _final(self, obj, depth: int):
        if obj is not None and obj.is_alias:
            return self._lookup(obj.target_path, depth + 1)
        return obj

    def _resolve(self, where: griffe.Object, name: str) -> griffe.Object | None:
        """``name`` as Python would see it in the scope of ``where``, or as a full path."""
        if name.startswith("."):  # relative to the docstring's package or module
            scope = where if where.is_module else where.module
            stripped = name.lstrip(".")
            for _ in range(len(name) - len(stripped) - 1):
                scope = scope.parent
            package = scope if scope.is_package or scope.is_init_module else scope.parent
            for base in (scope, package):
                found = self._lookup(f"{base.path}.{stripped}")
                if found is not None:
                    return found
            return None
        head, _, rest = name.partition(".")
        scope: griffe.Object | None = where
        while scope is not None:
            if head in scope.members:
                found = self._final(scope.members[head], 0)
                if found is not None and rest:
                    found = self._lookup(f"{found.path}.{rest}")
                if found is not None:
                    return found
            scope = scope.parent
        return self._lookup(name)

    def _external(self, where: griffe.Object, name: str) -> bool:
        """Whether ``name`` is another library's (``os.replace``, ``pyproj.CRS``, an imported module's member)."""
        head = name.split(".", 1)[0]
        if not head or head.startswith(".") or head == "accessibility":
            return False
        scope: griffe.Object | None = where
        while scope is not None:
            member = scope.members.get(head)
            if member is not None:
                return member.is_alias and not member.target_path.startswith("accessibility.")
            scope = scope.parent
        return "." in name and importlib.util.find_spec(head) is not None

    def _rewrite(self, obj: griffe.Object) -> str:
        text = obj.docstring.value

        def link(m: re.Match) -> str:
            role, tilde, target = m.groups()
            target = target.strip()
            titled = re.fullmatch(r"(.+?)\s*<([^<>]+)>", target)  # :attr:`shown text <target>`
            if titled:
                shown, target = titled.group(1), titled.group(2).strip()
            else:
                shown = target.lstrip(".").rsplit(".", 1)[-1] if tilde else target
                if role in ("func", "meth") and not shown.endswith(")"):
                    shown += "()"
            found = self._resolve(obj, target.rstrip("()"))
            if found is not None and found.is_module and role != "mod" and found.parent is not None:
                # a subpackage shadowing a function of the same name (``accessibility.run``): the import wins
                imported = found.parent.imports.get(found.name)
                found = (self._lookup(imported) if imported else None) or found
            if found is None:
                line = (obj.docstring.lineno or 0) + text.count("\n", 0, m.start())
                if self._external(obj, target.lstrip("~")) or not _rendered(obj):
                    level = logging.DEBUG  # another library's object, or a docstring the site does not show
                else:
                    level = logging.WARNING if obj.path.startswith(CHECKED) else logging.INFO
                log.log(level, "%s:%d: %s: cross-reference :%s:`%s` names nothing (shown as code)",
                        obj.relative_filepath, line, obj.path, role, target)
                return f"`{shown}`"
            while not _rendered(found) and found.parent is not None:
                found = found.parent
            return f"[`{shown}`][{found.path}]"

        text = _ROLE.sub(link, text)
        return _LITERAL_BLOCK.sub(":", text)

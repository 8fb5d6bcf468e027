"""The README's architecture tree lists every module with its docstring's first line.

When this fails after adding a module or changing a module's first docstring line, paste
the lines the assertion message prints into the tree of README.md's "Architecture".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "transport_sim"
NAME_WIDTH = 28
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def summary(path: Path) -> str:
    """First docstring line of ``path`` as plain text (RST roles and literals simplified)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    line = doc.strip().splitlines()[0] if doc.strip() else ""
    line = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], line)
    return line.replace("``", "`")


def expected_lines() -> dict[str, str]:
    """Tree line of every module, keyed by its path relative to the package."""
    out: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) > 2:  # no sub-subpackages yet
            msg = f"{rel}: extend the README tree (and this test) to nested packages"
            raise AssertionError(msg)
        if len(rel.parts) == 2 and rel.name == "__init__.py":
            key, indent, name = f"{rel.parts[0]}/", "  ", f"{rel.parts[0]}/"
        elif len(rel.parts) == 2:
            key, indent, name = rel.as_posix(), "    ", rel.name
        else:
            key, indent, name = rel.name, "  ", rel.name
        out[key] = f"{indent}{name.ljust(NAME_WIDTH - len(indent))}{summary(path)}".rstrip()
    return out


def readme_tree() -> dict[str, str]:
    """Lines of the README's ``transport_sim/`` tree, keyed like :func:`expected_lines`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1]
    block = section.split("```", 2)[1]
    lines = block.splitlines()
    start = lines.index("transport_sim/")
    out: dict[str, str] = {}
    package = ""
    for line in lines[start + 1 :]:
        name = line.split()[0]
        if line.startswith("    "):
            out[f"{package}{name}"] = line
        else:
            package = name if name.endswith("/") else ""
            out[name] = line
    return out


def test_every_module_has_its_line() -> None:
    want, have = expected_lines(), readme_tree()
    missing = [line for key, line in want.items() if have.get(key) != line]
    extra = sorted(set(have) - set(want))
    assert not missing, "README tree: add or replace these lines:\n" + "\n".join(missing)
    assert not extra, f"README tree lists modules that do not exist: {extra}"

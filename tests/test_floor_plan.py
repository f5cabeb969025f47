"""The floor plan holds: no module reaches into another's private names, none grows too big.

A name starting with ``_`` is its module's own business: another module that
imports it (``from x import _name``) or reads it (``x._name``) depends on
something its owner may change without looking. And a module over 600 lines
is split along a seam of the domain before it grows further.

These read the source with ``ast``; they import nothing of the portal.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "reviews", "access")
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


MODULES = project_modules()


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def absolute(module: str, node: ast.ImportFrom) -> str:
    """The module a ``from … import`` names, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if MODULES[module].name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def private_reaches(module: str, tree: ast.Module) -> list[str]:
    """Every use of another project module's private name in this module's source."""
    found = []
    bound: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in APPS:
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        bound[top] = top
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            if source.split(".")[0] not in APPS:
                continue
            for alias in node.names:
                if is_private(alias.name) and source != module:
                    found.append(f"line {node.lineno}: from {source} import {alias.name}")
                if f"{source}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        chain, value = [], node.value
        while isinstance(value, ast.Attribute):
            chain.insert(0, value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in bound:
            continue
        owner = ".".join([bound[value.id], *chain])
        if owner in MODULES and owner != module:
            found.append(f"line {node.lineno}: {owner}.{node.attr}")
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_uses_another_modules_private_names(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    assert private_reaches(module, tree) == []


def test_the_check_sees_private_imports_and_attribute_reads():
    source = (
        "import portal.accounts.visibility\n"
        "from portal.cases.services import lifecycle as case_services\n"
        "from portal.cases.services.lifecycle import _hidden\n"
        "from . import _sibling\n"
        "case_services._secret\n"
        "portal.accounts.visibility._cache\n"
        "case_services.public._not_a_module\n"
    )
    found = private_reaches("reviews.views.scores", ast.parse(source))
    assert found == [
        "line 3: from portal.cases.services.lifecycle import _hidden",
        "line 4: from reviews.views import _sibling",
        "line 5: portal.cases.services.lifecycle._secret",
        "line 6: portal.accounts.visibility._cache",
    ]


def test_no_module_is_over_600_lines():
    too_long = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "node_modules", "tests") or "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[str(relative)] = lines
    assert too_long == {}, "split these along a seam of the domain"

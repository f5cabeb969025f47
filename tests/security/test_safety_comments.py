"""Every escape hatch from Django's protections says why it is safe.

``mark_safe``, raw SQL, ``csrf_exempt`` and templates that switch autoescaping
off are each a place where a reviewer must convince themselves that no
attacker-controlled byte reaches the browser or the database unchecked. The
reasoning lives next to the code: a comment containing "safe" on the line, or in
the comment block right above it. Migrations are reviewed DDL with no input and
are not scanned.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ["portal", "reviews", "access"]
TEMPLATE_DIRS = ["templates", "portal/templates", "reviews/templates", "access/templates"]

PYTHON_HATCHES = re.compile(
    r"\bmark_safe\(|\bSafeString\(|\bcsrf_exempt\b|\.raw\(|\.extra\(|\bRawSQL\("
    r"|\bcursor\.execute(many)?\(|\bconnection\.execute\("
)
TEMPLATE_HATCHES = re.compile(r"\|\s*safe(seq)?\b|\{%\s*autoescape\s+off\s*%\}")
PY_COMMENT = re.compile(r"#(.*)$")
TEMPLATE_COMMENT = re.compile(r"\{#(.*?)#\}|\{%\s*comment\s*%\}(.*)")


def _comment(line: str, *, template: bool) -> str | None:
    if template:
        found = TEMPLATE_COMMENT.findall(line)
        return " ".join("".join(parts) for parts in found) if found else None
    found = PY_COMMENT.search(line)
    return found.group(1) if found else None


def unexplained_hatches(text: str, *, template: bool = False) -> list[tuple[int, str]]:
    """(line number, line) of each hatch without a "safe" comment on it or right above."""
    hatches = TEMPLATE_HATCHES if template else PYTHON_HATCHES
    lines = text.splitlines()
    missing = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not hatches.search(line) or stripped.startswith(("import ", "from ")):
            continue
        if not template and stripped.startswith("#"):
            continue  # a comment that mentions a hatch is not one
        comments = [_comment(line, template=template)]
        above = number - 2
        while above >= 0 and (comment := _comment(lines[above], template=template)) is not None:
            comments.append(comment)
            if not template and not lines[above].strip().startswith("#"):
                break  # a trailing comment on a line of code ends the block
            above -= 1
        if not any(c and "safe" in c.lower().replace("mark_safe", "") for c in comments):
            missing.append((number, stripped))
    return missing


def python_files():
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def template_files():
    for folder in TEMPLATE_DIRS:
        base = ROOT / folder
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.suffix in {".html", ".txt"}:
                    yield path


def test_every_escape_hatch_in_the_code_says_why_it_is_safe():
    missing = [
        f"{path.relative_to(ROOT)}:{number}: {line}"
        for path in python_files()
        for number, line in unexplained_hatches(path.read_text())
    ]
    assert not missing, "Add a comment saying why this is safe:\n" + "\n".join(missing)


def test_every_escape_hatch_in_the_templates_says_why_it_is_safe():
    missing = [
        f"{path.relative_to(ROOT)}:{number}: {line}"
        for path in template_files()
        for number, line in unexplained_hatches(path.read_text(), template=True)
    ]
    assert not missing, "Add a {# safe: … #} comment:\n" + "\n".join(missing)


def test_the_scan_finds_the_hatches_it_is_meant_to_find():
    """The known hatches are found, so an empty result above means something."""
    scanned = "\n".join(path.read_text() for path in python_files())
    for hatch in ("csrf_exempt", "cursor.execute("):
        assert hatch in scanned


@pytest.mark.parametrize(
    "source",
    [
        "html = mark_safe(user_text)\n",
        "@csrf_exempt\ndef view(request):\n",
        "# Upload handlers must be set first.\n@csrf_exempt\ndef view(request):\n",
        "rows = Case.objects.raw(query)\n",
        "    cursor.execute(f'SELECT {x}')  # noqa: S608\n",
        "qs = qs.extra(where=[clause])\n",
    ],
)
def test_a_hatch_without_a_reason_is_reported(source):
    assert unexplained_hatches(source)


@pytest.mark.parametrize(
    "source",
    [
        "html = mark_safe(text)  # safe: escaped by format_html above\n",
        "# csrf_exempt is safe: the token is checked\n# right after the handlers are set.\n"
        "@csrf_exempt\ndef view(request):\n",
        "from django.views.decorators.csrf import csrf_exempt\n",
    ],
)
def test_a_hatch_with_a_reason_passes(source):
    assert not unexplained_hatches(source)


@pytest.mark.parametrize(
    ("source", "reported"),
    [
        ("<p>{{ finding.description|safe }}</p>\n", True),
        ("{% autoescape off %}{{ case.title }}{% endautoescape %}\n", True),
        ("{% autoescape off %}{# safe: plain text #}{{ x }}{% endautoescape %}\n", False),
        ("<p>{{ finding.description }}</p>\n", False),
    ],
)
def test_templates_are_scanned_the_same_way(source, reported):
    assert bool(unexplained_hatches(source, template=True)) is reported

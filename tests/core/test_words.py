"""Counts are written with the noun that agrees with them, never "event(s)"."""

import re
from pathlib import Path

from portal.core.words import counted

ROOT = Path(__file__).resolve().parents[2]


def test_a_count_and_its_noun_agree():
    assert counted(1, "event") == "1 event"
    assert counted(0, "event") == "0 events"
    assert counted(3, "failed sign-in record") == "3 failed sign-in records"
    assert counted(2, "reply", "replies") == "2 replies"


def test_no_message_says_s_in_brackets():
    """Commands, pages, emails and admin messages of every app: "(s)" nowhere they speak."""
    offenders = []
    for folder in ("portal", "reviews", "access", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".html", ".txt"} or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\w\(s\)", line) and "never" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []

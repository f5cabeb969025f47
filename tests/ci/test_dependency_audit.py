"""CI's dependency audit tells a clean bill from an audit that did not happen.

``.ci/dependency_audit.py`` judges pip-audit's JSON report; these tests feed it
canned reports (``pip_audit/*.json``; ``all_skipped.json`` is the head of a real
report from a mirror without PyPI's JSON API) and pip-audit's failures.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / ".ci" / "dependency_audit.py"
REPORTS = Path(__file__).parent / "pip_audit"
_spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
assert _spec is not None and _spec.loader is not None
dependency_audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dependency_audit)


def judge(report_name=None, *, returncode=0, stderr="", strict=False):
    report = (REPORTS / report_name).read_text() if report_name else None
    verdict = dependency_audit.judge(
        report, returncode=returncode, stderr=stderr, strict=strict, pinned=120
    )
    return verdict.exit_code, "\n".join(verdict.lines)


def test_every_package_skipped_is_not_performed_never_a_clean_bill():
    code, text = judge("all_skipped.json")
    assert code == 0
    assert text.splitlines()[0] == "dependency audit: not performed (4 packages skipped)"
    assert "none audited" in text
    assert "No known vulnerabilities" not in text and "no known vulnerabilities" not in text


def test_some_packages_skipped_is_not_performed_either():
    code, text = judge("partly_skipped.json")
    assert code == 0
    assert text.splitlines()[0] == "dependency audit: not performed (1 packages skipped)"
    assert "1 of 2 audited, no known vulnerabilities among them" in text


def test_skips_fail_when_strict():
    assert judge("all_skipped.json", strict=True)[0] == 1
    assert judge("partly_skipped.json", strict=True)[0] == 1


@pytest.mark.parametrize(
    "stderr",
    [
        "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed",
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): "
        "Max retries exceeded with url: /pypi/amqp/5.4.2/json",
        "pip_audit._service.interface.ServiceError",
    ],
)
def test_an_unreachable_service_is_not_performed(stderr):
    code, text = judge(None, returncode=1, stderr=stderr)
    assert code == 0
    assert text.splitlines()[0] == "dependency audit: not performed (120 packages skipped)"
    assert "could not be reached" in text
    assert judge(None, returncode=1, stderr=stderr, strict=True)[0] == 1


def test_a_clean_audit_of_every_package_passes():
    assert judge("clean.json") == (0, "dependency audit: no known vulnerabilities in 3 packages")


def test_a_known_vulnerability_fails_whatever_was_skipped():
    code, text = judge("vulnerable.json", returncode=1)
    assert code == 1
    assert "known vulnerabilities in 1 of 2 audited packages" in text
    assert "django 6.1: PYSEC-2026-1 (fixed in 6.1.1)" in text
    assert "django 6.1: GHSA-xxxx-yyyy-zzzz (fixed in no fix yet)" in text
    assert "1 packages skipped, not audited" in text


def test_pip_audit_failing_otherwise_fails():
    code, text = judge(None, returncode=1, stderr="ERROR: invalid requirement: 'django=='")
    assert code == 1
    assert text.startswith("dependency audit: failed")
    assert judge(None, returncode=2)[0] == 1


def test_the_script_runs_on_a_saved_report(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pins\ndjango==6.1\n")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(SCRIPT),
            str(constraints),
            "--report",
            str(REPORTS / "all_skipped.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PIP_AUDIT_STRICT": "false", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dependency audit: not performed (4 packages skipped)")

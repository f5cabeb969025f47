#!/usr/bin/env python3
"""The dependency audit, reported honestly: pip-audit of the pins in constraints.txt.

pip-audit says "No known vulnerabilities found" even when it audited nothing:
a package the vulnerability service does not answer for is *skipped*, and
where the service cannot be reached at all (a mirror without PyPI's JSON API,
a firewall) every package is. So this script reads pip-audit's JSON report and
says what was done:

- every package audited, none vulnerable: ``dependency audit: no known
  vulnerabilities in N packages`` (exit 0);
- a known vulnerability in any audited package: the packages and their
  advisories (exit 1), as before, whatever was skipped;
- packages skipped or the service unreachable: ``dependency audit: not
  performed (N packages skipped)`` — exit 0, since CI cannot make the service
  answer, or 1 with ``PIP_AUDIT_STRICT=true`` (set it wherever PyPI is the real
  index);
- pip-audit failing for another reason: ``dependency audit: failed`` (exit 1).

Usage: ``.ci/dependency_audit.py [constraints.txt]``; ``--report FILE
--returncode N`` judges a saved report instead of running pip-audit (tests).
Only the standard library: it runs before anything of the portal is imported.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# How pip-audit (and requests under it) says the service did not answer.
UNREACHABLE = (
    "Could not connect",
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Read timed out",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "not redirecting properly",
    "ServiceError",
)


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    lines: list[str]


def pinned_packages(constraints: Path) -> int:
    lines = constraints.read_text().splitlines()
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))


def judge(
    report: str | None, *, returncode: int, stderr: str, strict: bool, pinned: int
) -> Verdict:
    """What to print and how to exit, from pip-audit's JSON report, exit code and stderr."""
    try:
        dependencies = json.loads(report)["dependencies"] if report else None
        if not isinstance(dependencies, list):
            dependencies = None
    except (ValueError, KeyError, TypeError):
        dependencies = None

    if dependencies is None:
        if any(sign in stderr for sign in UNREACHABLE):
            return _not_performed(pinned, strict, "the vulnerability service could not be reached")
        tail = stderr.strip().splitlines()[-3:]
        return Verdict(1, ["dependency audit: failed (pip-audit gave no report)", *tail])

    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]

    if vulnerable:
        lines = [
            f"dependency audit: known vulnerabilities in {len(vulnerable)} of "
            f"{len(audited)} audited packages"
        ]
        for dependency in vulnerable:
            for vuln in dependency["vulns"]:
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                lines.append(
                    f"  {dependency['name']} {dependency.get('version', '')}: "
                    f"{vuln.get('id', '?')} (fixed in {fixed})"
                )
        if skipped:
            lines.append(f"  and {len(skipped)} packages skipped, not audited")
        return Verdict(1, lines)
    if skipped:
        detail = (
            f"{len(audited)} of {len(dependencies)} audited, no known vulnerabilities among them"
            if audited
            else "none audited"
        )
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        return _not_performed(len(skipped), strict, f"{detail}; {'; '.join(reasons)}")
    if returncode != 0:
        tail = stderr.strip().splitlines()[-3:]
        return Verdict(1, ["dependency audit: failed (pip-audit exited with an error)", *tail])
    if not audited:
        return Verdict(1 if strict else 0, ["dependency audit: not performed (no packages)"])
    return Verdict(0, [f"dependency audit: no known vulnerabilities in {len(audited)} packages"])


def _not_performed(count: int, strict: bool, why: str) -> Verdict:
    lines = [f"dependency audit: not performed ({count} packages skipped)", f"  {why}"]
    if strict:
        lines.append("  PIP_AUDIT_STRICT=true: failing")
    else:
        lines.append("  not a clean bill: PIP_AUDIT_STRICT=true makes this fail")
    return Verdict(1 if strict else 0, lines)


def run_pip_audit(constraints: Path) -> tuple[str | None, int, str]:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        result = subprocess.run(  # noqa: S603 - fixed arguments, our own virtualenv's tool
            [
                str(pip_audit),
                "-r",
                str(constraints),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(output),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = output.read_text() if output.exists() else None
    return report, result.returncode, result.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("constraints", nargs="?", default="constraints.txt", type=Path)
    parser.add_argument("--report", type=Path, help="judge this saved JSON report")
    parser.add_argument("--returncode", type=int, default=0, help="pip-audit's exit code")
    parser.add_argument("--stderr", default="", help="pip-audit's standard error")
    args = parser.parse_args(argv)
    strict = os.environ.get("PIP_AUDIT_STRICT", "false").strip().lower() in {"1", "true", "yes"}

    if args.report is not None:
        report = args.report.read_text() if args.report.exists() else None
        returncode, stderr = args.returncode, args.stderr
    else:
        report, returncode, stderr = run_pip_audit(args.constraints)
    verdict = judge(
        report,
        returncode=returncode,
        stderr=stderr,
        strict=strict,
        pinned=pinned_packages(args.constraints),
    )
    print("\n".join(verdict.lines))
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())

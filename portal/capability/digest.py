"""The weekly capability digest for monitoring-agency staff.

Once a week (Celery beat, ``portal.capability_digest``; or ``manage.py
send_capability_digest``) each recipient gets one notification, emailed like
any other, covering the seven days before the run:

- **new results**: developer-reported scores of cases submitted in the week;
- **jumps by rule**: those of them flagged, grouped by the rule that fired
  (threshold, trend, both), with months ahead of trend;
- **discrepancies**: a case's government-measured and developer-reported
  scores on a benchmark further apart than the benchmark's tolerance, where
  either was recorded (or corrected) in the week;
- **corrections**: reported scores corrected in the week, old → new, the
  reason, and whether a jump was retracted.

Each recipient's content comes from the selector of the Frontier pages
(``selectors.frontier_results``), so it is exactly what that person may see
there. **Recipients** (``selectors.monitoring_staff``): the active
coordinators and reviewers of every agency flagged as monitoring capability
jumps (``Agency.monitors_capability``; ONCD in the demo). **Exactly once per
person and ISO week**: the key
(``capability_digest``, ``accounts.user:<id>``, ``<year>-W<week>``) is claimed
in ``SentReminder`` by ``send_once`` in the transaction that notifies, so a
second run, a retried task or two workers at once send nothing more.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from portal.capability.frontier import is_discrepancy
from portal.capability.selectors import frontier_results, monitoring_staff
from portal.cases.models import EvalResult, ScoreCorrection
from portal.core.hooks import Reminder
from portal.notifications.sweep import send_once

DIGEST_KIND = "capability_digest"
PERIOD = timedelta(days=7)
RULE_LABELS = {"threshold": "Threshold", "trend": "Trend", "both": "Threshold and trend"}


def week_key(at: datetime) -> str:
    year, week, _day = timezone.localtime(at).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Digest:
    start: datetime
    end: datetime
    new_results: list = field(default_factory=list)
    jumps_by_rule: list = field(default_factory=list)  # [(label, [results])]
    discrepancies: list = field(default_factory=list)
    corrections: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_results or self.discrepancies or self.corrections)


def build_digest(user, *, at: datetime) -> Digest:
    """What this person may see that happened in the seven days before ``at``: three queries."""
    start = at - PERIOD
    digest = Digest(start=start, end=at)
    visible = frontier_results(user)
    digest.new_results = list(
        visible.filter(case__submitted_at__gte=start, case__submitted_at__lt=at)
    )
    jumps = sorted((r for r in digest.new_results if r.is_jump), key=lambda r: r.jump_rule or "")
    digest.jumps_by_rule = [
        (RULE_LABELS.get(rule, rule), list(group))
        for rule, group in groupby(jumps, key=lambda r: r.jump_rule or "")
    ]
    measured_at = EvalResult.objects.filter(
        case=OuterRef("case_id"),
        benchmark=OuterRef("benchmark_id"),
        source=EvalResult.Source.GOVERNMENT,
    ).values("recorded_at")[:1]
    in_week = (
        Q(case__submitted_at__gte=start, case__submitted_at__lt=at)
        | Q(measured_at__gte=start, measured_at__lt=at)
        | Q(corrections__corrected_at__gte=start, corrections__corrected_at__lt=at)
    )
    candidates = (
        visible.annotate(measured_at=Subquery(measured_at))
        .filter(measured_at__isnull=False)
        .filter(in_week)
        .distinct()
    )
    digest.discrepancies = [
        result
        for result in candidates
        if is_discrepancy(result.benchmark, result.score, result.measured_score)
    ]
    digest.corrections = list(
        ScoreCorrection.objects.filter(
            result__in=visible.values("pk"), corrected_at__gte=start, corrected_at__lt=at
        )
        .select_related("result__benchmark", "result__case", "result__case__developer")
        .order_by("corrected_at", "pk")
    )
    return digest


def digest_reminder(user, digest: Digest, *, at: datetime) -> Reminder:
    return Reminder(
        kind=DIGEST_KIND,
        subject=user,
        threshold=week_key(at),
        recipients=lambda: [user],
        title=(
            f"Capability digest, {timezone.localdate(digest.start):%d %b} to "
            f"{timezone.localdate(digest.end):%d %b %Y}: {len(digest.new_results)} new, "
            f"{sum(len(group) for _, group in digest.jumps_by_rule)} jumps"
        ),
        template="portal/email/capability_digest.txt",
        context={"digest": digest, "user": user},
        url=reverse("portal:frontier"),
    )


def send_digests(at: datetime | None = None, *, dry_run: bool = False) -> list[tuple]:
    """This week's digest to each recipient not yet sent it: (person, sent?, digest) each."""
    at = at or timezone.now()
    outcomes = []
    for user in monitoring_staff():
        digest = build_digest(user, at=at)
        sent = False if dry_run else send_once(digest_reminder(user, digest, at=at))
        outcomes.append((user, sent, digest))
    return outcomes

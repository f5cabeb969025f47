"""The Frontier page and its CSV: each benchmark's scores over time, jumps highlighted.

Agency staff see the submitted cases visible to them with the stored frontier
comparison (``portal.capability.frontier``) and the government-measured scores; a
developer sees only its own history, measured against its own previous best,
never the frontier (that comes from other developers' results). Operators
and people of no role get 403. The page is a fixed number of queries whatever
the number of results.
"""

import csv
import io
from itertools import groupby

from django import forms
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from portal.accounts.models import Organization
from portal.accounts.roles import Role, role_required
from portal.capability.chart import ChartRow, build_chart
from portal.capability.frontier import beats, frontier_results, is_discrepancy
from portal.cases.models import Benchmark, CaseStatus, Submission
from portal.core.forms import UswdsFormMixin
from portal.files.downloads import download_view, serve_generated

AGENCY_ROLES = (Role.COORDINATOR, Role.REVIEWER)
DEVELOPER_ROLES = (Role.SUBMITTER, Role.ORG_ADMIN)


class FrontierFilterForm(UswdsFormMixin, forms.Form):
    category = forms.ChoiceField(
        required=False, choices=[("", "Any category"), *Benchmark.Category.choices]
    )
    developer = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, empty_label="Any developer"
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        if user.is_agency_staff:
            # Only developers of cases this person can see are offered.
            visible = Submission.objects.visible_to(user).filter(submitted_at__isnull=False)
            self.fields["developer"].queryset = Organization.objects.filter(
                pk__in=visible.values("developer_id")
            ).order_by("name")
        else:
            del self.fields["developer"]


def _filtered(request):
    """The filter form and the results it selects (none when the form is refused)."""
    form = FrontierFilterForm(request.GET, user=request.user)
    results = frontier_results(request.user)
    if not form.is_valid():
        return form, results.none(), ""
    category = form.cleaned_data["category"]
    if category:
        results = results.filter(benchmark__category=category)
    developer = form.cleaned_data.get("developer")
    if developer:
        results = results.filter(case__developer=developer)
    return form, results, category


def _decorate(result, *, agency_view: bool) -> None:
    """Values the table and the CSV show, worked out once per row."""
    benchmark = result.benchmark
    result.counted = result.case.status != CaseStatus.WITHDRAWN
    result.before = result.frontier_before if agency_view else result.previous_best
    result.gain = result.change = None
    if result.before is not None:
        # The gain is signed by the benchmark's direction (positive is better);
        # the change is the score's own movement, as the table shows it.
        result.gain = beats(benchmark, result.score, result.before)
        result.change = result.score - result.before
    result.jump = result.is_jump if agency_view else False
    measured = getattr(result, "measured_score", None)
    result.discrepancy = measured is not None and is_discrepancy(benchmark, result.score, measured)


@require_GET
@role_required(*AGENCY_ROLES, *DEVELOPER_ROLES)
def frontier(request):
    agency_view = request.user.is_agency_staff
    form, results, category = _filtered(request)
    by_benchmark = {}
    for result in results:
        _decorate(result, agency_view=agency_view)
        by_benchmark.setdefault(result.benchmark_id, []).append(result)
    benchmarks = Benchmark.objects.filter(Q(active=True) | Q(pk__in=list(by_benchmark)))
    if category:
        benchmarks = benchmarks.filter(category=category)
    line_label = "frontier known at each submission" if agency_view else "your best so far"
    sections = []
    for benchmark in benchmarks.order_by("category", "name"):
        rows = by_benchmark.get(benchmark.pk, [])
        chart = build_chart(
            benchmark,
            [
                ChartRow(
                    at=row.case.submitted_at,
                    score=row.score,
                    before=row.before,
                    jump=row.jump,
                    counted=row.counted,
                    label=f"{row.case.reference} {row.case.title} ({row.case.developer})",
                )
                for row in rows
            ],
            line_label=line_label,
        )
        sections.append({"benchmark": benchmark, "rows": rows, "chart": chart})
    categories = [
        (label, list(group))
        for label, group in groupby(sections, key=lambda s: s["benchmark"].get_category_display())
    ]
    return render(
        request,
        "portal/frontier.html",
        {
            "form": form,
            "categories": categories,
            "agency_view": agency_view,
            "jump_count": sum(row.jump for s in sections for row in s["rows"]),
            "query": request.GET.urlencode(),
        },
    )


CSV_HEADER = [
    "benchmark",
    "benchmark_slug",
    "category",
    "unit",
    "higher_is_better",
    "case",
    "developer",
    "model",
    "submitted_at",
    "case_status",
    "counts_toward_frontier",
    "developer_reported_score",
    "frontier_before",
    "developer_previous_best",
    "gain_over_frontier",
    "jump_threshold",
    "jump_threshold_kind",
    "capability_jump",
    "government_measured_score",
    "discrepancy_tolerance",
    "discrepancy",
]


def _cell(value) -> str:
    """Text as a spreadsheet shows it, never as a formula it would run."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


@require_safe
@download_view
@role_required(*AGENCY_ROLES)
def frontier_csv(request):
    """The page's table as a file: generated, sent and recorded like every download."""
    _form, results, _category = _filtered(request)
    stamp = timezone.localdate().isoformat()
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(CSV_HEADER)
    for result in results:
        _decorate(result, agency_view=True)
        benchmark, case = result.benchmark, result.case
        writer.writerow(
            [
                _cell(benchmark.name),
                benchmark.slug,
                benchmark.get_category_display(),
                _cell(benchmark.unit),
                "yes" if benchmark.higher_is_better else "no",
                case.reference,
                _cell(case.developer.name),
                _cell(case.title),
                timezone.localtime(case.submitted_at).isoformat(timespec="seconds"),
                case.get_status_display(),
                "yes" if result.counted else "no",
                _number(result.score),
                _number(result.frontier_before),
                _number(result.previous_best),
                _number(result.gain),
                _number(benchmark.jump_threshold),
                benchmark.jump_threshold_kind,
                "yes" if result.is_jump else "no",
                _number(result.measured_score),
                _number(benchmark.discrepancy_tolerance),
                "yes" if result.discrepancy else "no",
            ]
        )
    return serve_generated(
        request,
        rows.getvalue(),
        filename=f"frontier-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )

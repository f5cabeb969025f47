"""The Frontier pages and the CSV: each benchmark's scores over time, jumps highlighted.

The overview shows every benchmark as a small chart; each links to its own
page with the full chart and, below it, the table (collapsed) with every value.

Who sees which cases is ``portal.capability.selectors.frontier_cases``: agency
staff see the submitted cases visible to them, staff of a monitoring agency
every submitted case, each with the stored frontier comparison
(``portal.capability.frontier``) and the government-measured scores; a
developer sees only its own history, measured against its own previous best,
never the frontier (that comes from other developers' results). Operators
and people of no role get 403. A row links to its case only where the person
may open it; a monitoring agency's coordinator is offered to ask for the
others (``views_routing``). The page is a fixed number of queries whatever
the number of results.

The CSV's ``gain_over_frontier`` is the improvement over the frontier in the
benchmark's better direction: positive is better, so a drop of 10 on a
lower-is-better benchmark is a gain of 10; the score's own movement is
``developer_reported_score − frontier_before``.
"""

import csv
import io
from itertools import groupby
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from portal.accounts.models import Organization
from portal.accounts.roles import Role, role_required
from portal.capability.chart import NARROW, SMALL, WIDE, ChartRow, cached_chart, steps_of
from portal.capability.frontier import beats, is_discrepancy
from portal.capability.kept import kept
from portal.capability.selectors import (
    frontier_cases,
    frontier_results,
    frontier_results_in,
    is_monitoring_staff,
)
from portal.capability.services import may_ask_routing
from portal.capability.trend import TrendStatus
from portal.cases.models import Benchmark, CaseStatus
from portal.core.forms import UswdsFormMixin
from portal.files.downloads import download_view, serve_generated

AGENCY_ROLES = (Role.COORDINATOR, Role.REVIEWER)
DEVELOPER_ROLES = (Role.SUBMITTER, Role.ORG_ADMIN)


class FrontierFilterForm(UswdsFormMixin, forms.Form):
    category = forms.ChoiceField(
        required=False, choices=[("", "Any category"), *Benchmark.Category.choices]
    )
    # A developer's id; its choices are the person's, kept (``kept.kept``).
    developer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, user, single: bool = False):
        super().__init__(data)
        if single:
            del self.fields["category"]  # one benchmark's page: its category is given
        if user.is_agency_staff:
            # Only developers of cases this person can see are offered.
            developer = self.fields["developer"]
            assert isinstance(developer, forms.TypedChoiceField)
            developer.choices = [
                ("", "Any developer"),
                *kept(user, ("developers",), lambda: _developer_choices(user)),
            ]
        else:
            del self.fields["developer"]


def _developer_choices(user) -> list[tuple[int, str]]:
    visible = frontier_cases(user)
    developers = Organization.objects.filter(pk__in=visible.values("developer_id"))
    return list(developers.order_by("name").values_list("pk", "name"))


def _filters(form) -> tuple:
    """What the form selects, as part of a kept key: a refused form selects nothing."""
    if not form.is_valid():
        return ("refused",)
    return (form.cleaned_data.get("category", ""), form.cleaned_data.get("developer"))


def _filtered(request, *, benchmark=None, form=None):
    """The filter form and the results it selects (none when the form is refused)."""
    if form is None:
        form = FrontierFilterForm(request.GET, user=request.user, single=benchmark is not None)
    results = frontier_results(request.user)
    if benchmark is not None:
        results = results.filter(benchmark=benchmark)
    if not form.is_valid():
        return form, results.none(), ""
    category = form.cleaned_data.get("category", "")
    if category:
        results = results.filter(benchmark__category=category)
    developer = form.cleaned_data.get("developer")
    if developer:
        results = results.filter(case__developer_id=developer)
    return form, results, category


def _decorate(result, *, agency_view: bool) -> None:
    """Values the table and the CSV show, worked out once per row."""
    benchmark = result.benchmark
    result.counted = result.case.status != CaseStatus.WITHDRAWN
    result.before = result.frontier_before if agency_view else result.previous_best
    result.gain = result.change = None
    if result.before is not None:
        # The gain is the improvement in the benchmark's better direction
        # (positive is better, a drop on a lower-is-better benchmark too); the
        # change is the score's own movement, as the table shows it.
        result.gain = beats(benchmark, result.score, result.before)
        result.change = result.score - result.before
    result.jump = result.is_jump if agency_view else False
    # A jump flagged before a correction that no longer holds: shown, never dropped.
    result.retracted = agency_view and result.jump_retracted_at is not None
    measured = getattr(result, "measured_score", None)
    result.discrepancy = measured is not None and is_discrepancy(benchmark, result.score, measured)
    result.trend_text = _trend_text(result) if agency_view else ""
    # Monitoring staff see cases they may not open (selectors.frontier_results).
    result.case_open = getattr(result, "case_open", True)
    result.routed_here = getattr(result, "routed_here", True)
    result.routing_asked = getattr(result, "routing_asked", False)


def _trend_text(result) -> str:
    """The trend rule's verdict on a row in words: its prediction and how far ahead or behind."""
    status = getattr(result, "trend_status", None)
    if status == TrendStatus.NOT_ENOUGH_HISTORY:
        return "not enough history"
    if result.trend_predicted is None:
        return "—"  # evaluated before the trend rule existed
    text = f"predicted {result.trend_predicted:.2f}"
    months = result.months_ahead
    if months is not None:
        text += f"; {abs(months):.1f} months {'ahead' if months >= 0 else 'behind'}"
    return text


def _chart_rows(rows, *, agency_view: bool) -> list[ChartRow]:
    return [
        ChartRow(
            at=row.case.submitted_at,
            score=row.score,
            before=row.before,
            jump=row.jump,
            counted=row.counted,
            label=f"{row.case.reference} {row.case.title} ({row.case.developer})",
            number=row.case.reference,
            measured=getattr(row, "measured_score", None) if agency_view else None,
            rule=getattr(row, "jump_rule", "") or "",
        )
        for row in rows
    ]


def _line_label(agency_view: bool) -> str:
    return "frontier known at each submission" if agency_view else "your best so far"


# The overview's small charts draw the frontier's steps and the jumps, the
# latest this many per benchmark. A benchmark's own chart draws up to
# FULL_CHART_NOTABLE of those and the latest FULL_CHART_RECENT results besides:
# every result while there are few, a bounded chart once there are thousands
# (the table below it lists every value).
SMALL_CHART_POINTS = 40
FULL_CHART_NOTABLE = 200
FULL_CHART_RECENT = 100


def _counted_before(agency_view: bool) -> str:
    return "frontier_before" if agency_view else "previous_best"


def _drawn_rows(results, *, user, notable: int, recent: int = 1):
    """The rows a chart draws, oldest first per benchmark: one query.

    A row is drawn when it moved the line (a counted score better than the best
    before it) or was flagged (a jump, or a retracted one), the latest
    ``notable`` of those, or is among the benchmark's latest ``recent`` results
    (the line's end, whose value the card names). Both picked in SQL with
    ``ROW_NUMBER()`` windows in one subquery, so the rows loaded are bounded
    whatever the data; the rows themselves by id, their visibility checked once.
    """
    agency_view = user.is_agency_staff
    before = _counted_before(agency_view)
    counted = ~Q(case__status=CaseStatus.WITHDRAWN)
    moved = counted & (
        Q(**{f"{before}__isnull": True})
        | Q(benchmark__higher_is_better=True, score__gt=F(before))
        | Q(benchmark__higher_is_better=False, score__lt=F(before))
    )
    notable_row = (
        moved | Q(is_jump=True) | Q(jump_retracted_at__isnull=False) if agency_view else moved
    )
    newest_first = [F("case__submitted_at").desc(), F("case_id").desc()]
    picked = results.annotate(
        notable=ExpressionWrapper(notable_row, output_field=BooleanField()),
        newest=Window(RowNumber(), partition_by=[F("benchmark_id")], order_by=newest_first),
        newest_of_kind=Window(
            RowNumber(), partition_by=[F("benchmark_id"), F("notable")], order_by=newest_first
        ),
    ).filter(Q(newest__lte=recent) | Q(notable=True, newest_of_kind__lte=notable))
    return frontier_results_in(user, picked.values("pk"))


def _overview_counts(results) -> dict[int, dict]:
    """Per benchmark: its results, jumps and retracted jumps, counted in SQL."""
    counts = (
        results.order_by()
        .values("benchmark_id")
        .annotate(
            results=Count("pk"),
            jumps=Count("pk", filter=Q(is_jump=True)),
            retracted=Count("pk", filter=Q(jump_retracted_at__isnull=False)),
        )
    )
    return {row["benchmark_id"]: row for row in counts}


def _overview_sections(request, form) -> list[dict]:
    """Each benchmark's small chart, totals and best: the overview's SQL, kept per person."""
    agency_view = request.user.is_agency_staff
    _form, results, category = _filtered(request, form=form)
    counts = _overview_counts(results)
    by_benchmark: dict[int, list] = {}
    for result in _drawn_rows(results, user=request.user, notable=SMALL_CHART_POINTS):
        _decorate(result, agency_view=agency_view)
        by_benchmark.setdefault(result.benchmark_id, []).append(result)
    benchmarks = Benchmark.objects.filter(Q(active=True) | Q(pk__in=list(counts)))
    if category:
        benchmarks = benchmarks.filter(category=category)
    sections = []
    for benchmark in benchmarks.order_by("category", "name"):
        rows = by_benchmark.get(benchmark.pk, [])
        count = counts.get(benchmark.pk, {"results": 0, "jumps": 0, "retracted": 0})
        chart_rows = _chart_rows(rows, agency_view=agency_view)
        chart = cached_chart(
            benchmark,
            chart_rows,
            line_label=_line_label(agency_view),
            layout=SMALL,
            results=count["results"],
            jumps=count["jumps"] if agency_view else 0,
        )
        best = steps_of(benchmark, chart_rows)
        sections.append(
            {
                "benchmark": benchmark,
                "results": count["results"],
                "chart": chart,
                "jumps": count["jumps"] if agency_view else 0,
                "retracted": count["retracted"] if agency_view else 0,
                "best": next((value for value in reversed(best) if value is not None), None),
            }
        )
    return sections


@require_GET
@role_required(*AGENCY_ROLES, *DEVELOPER_ROLES)
def frontier(request):
    """Every benchmark as a small chart, each linking to its full chart and table.

    A fixed number of queries and a bounded page whatever the number of
    results: the counts come from SQL, the charts draw the notable rows only.
    """
    agency_view = request.user.is_agency_staff
    form = FrontierFilterForm(request.GET, user=request.user)
    sections = kept(
        request.user, ("overview", *_filters(form)), lambda: _overview_sections(request, form)
    )
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
            "jump_count": sum(s["jumps"] for s in sections),
            "query": _developer_query(request, form),
            "csv_query": request.GET.urlencode(),
            "monitoring": is_monitoring_staff(request.user),
        },
    )


def _developer_query(request, form) -> str:
    """The developer filter, carried to a benchmark's own page (its category is implied)."""
    developer = request.GET.get("developer", "")
    if not developer or not form.is_valid() or not form.cleaned_data.get("developer"):
        return ""
    return urlencode({"developer": developer})


TABLE_PAGE_SIZE = 50


class _Counted:
    """A sequence of ``count`` items the paginator counts but never reads."""

    def __init__(self, count: int):
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, _index):
        return []


def _benchmark_page(request, benchmark, form) -> dict:
    """A benchmark's totals, table page and charts: its page's SQL, kept per person."""
    agency_view = request.user.is_agency_staff
    _form, results, _category = _filtered(request, benchmark=benchmark, form=form)
    totals = results.order_by().aggregate(
        results=Count("pk"), jumps=Count("pk", filter=Q(is_jump=True))
    )
    jumps = totals["jumps"] if agency_view else 0
    table = Paginator(results, TABLE_PAGE_SIZE)
    table.count = totals["results"]  # type: ignore[misc]  # counted above: no second COUNT
    page = table.get_page(request.GET.get("table_page"))
    page.object_list = list(page.object_list)
    drawn = list(
        _drawn_rows(
            results, user=request.user, notable=FULL_CHART_NOTABLE, recent=FULL_CHART_RECENT
        )
    )
    for row in [*page.object_list, *drawn]:
        _decorate(row, agency_view=agency_view)
    chart_rows = _chart_rows(drawn, agency_view=agency_view)
    line_label = _line_label(agency_view)
    charts = [
        cached_chart(
            benchmark,
            chart_rows,
            line_label=line_label,
            layout=layout,
            results=totals["results"],
            jumps=jumps,
        )
        for layout in (WIDE, NARROW)
    ]
    return {
        "results": totals["results"],
        "jumps": jumps,
        "number": page.number,
        "rows": page.object_list,
        "charts": charts,
    }


@require_GET
@role_required(*AGENCY_ROLES, *DEVELOPER_ROLES)
def frontier_benchmark(request, slug):
    """One benchmark's full chart, with its table below, collapsed; the same people as the page.

    A fixed number of queries and bounded work whatever the number of results:
    the totals come from one aggregate, the table loads its page only, and the
    chart draws a bounded selection (``_drawn_rows``), rendered once per change
    (``chart.cached_chart``).
    """
    benchmark = get_object_or_404(Benchmark, slug=slug)
    agency_view = request.user.is_agency_staff
    form = FrontierFilterForm(request.GET, user=request.user, single=True)
    shown = kept(
        request.user,
        ("benchmark", benchmark.pk, *_filters(form), request.GET.get("table_page")),
        lambda: _benchmark_page(request, benchmark, form),
    )
    # The table's page, rebuilt around its kept rows: its links need the count only.
    page = Paginator(_Counted(shown["results"]), TABLE_PAGE_SIZE).page(shown["number"])
    page.object_list = shown["rows"]
    jumps = shown["jumps"]
    charts = shown["charts"]
    line_label = _line_label(agency_view)
    return render(
        request,
        "portal/frontier_benchmark.html",
        {
            "benchmark": benchmark,
            "form": form,
            "results_count": shown["results"],
            # The table in pages: every value, without rendering thousands of rows at once.
            "table": page,
            "table_open": "table_page" in request.GET,
            "agency_view": agency_view,
            "charts": charts,
            "line_label": line_label,
            "jump_count": jumps,
            "may_ask_routing": may_ask_routing(request.user),
            "back": request.get_full_path(),
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
    "jump_rule",
    "trend_status",
    "trend_predicted",
    "months_ahead_of_trend",
]


def _cell(value) -> str:
    """Text as a spreadsheet shows it, never as a formula it would run."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _float(value) -> str:
    return "" if value is None else f"{value:.2f}"


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
                result.jump_rule or "",
                result.trend_status or "",
                _float(result.trend_predicted),
                _float(result.months_ahead),
            ]
        )
    return serve_generated(
        request,
        rows.getvalue(),
        filename=f"frontier-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )

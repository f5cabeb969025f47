"""The frontier as JSON for analysts' scripts: ``GET /api/v1/frontier/`` with a bearer token.

Who: agency staff (coordinators and reviewers), each scoped by the same
selector as the Frontier pages (``portal.capability.selectors.frontier_results``),
so whatever widens or narrows what a person sees on the frontier (a
monitoring agency's cross-case view, say) reaches the API with no change
here. A token of any other role gets 403 with no data; no token, 401.

Paged (``?page=``, ``?page_size=`` up to ``MAX_PAGE_SIZE``), oldest first per
benchmark, optionally one benchmark (``?benchmark=<slug>``). A fixed number of
queries whatever the page or the number of results: the token, the count, the
page's ids and the page's rows; a repeated page comes from the cache until a
write can change it (``portal.capability.kept``).
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import JsonResponse
from django.urls import reverse

from portal.accounts.api import api_error, missing_scope, token_required
from portal.accounts.models.tokens import FRONTIER_READ
from portal.capability.frontier import is_discrepancy
from portal.capability.kept import kept
from portal.capability.selectors import frontier_results, frontier_results_in
from portal.cases.models import CaseStatus

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def _decimal(value):
    return None if value is None else format(value.normalize(), "f")


def _rules(rule: str) -> list[str]:
    return ["threshold", "trend"] if rule == "both" else [rule] if rule else []


def result_json(result) -> dict:
    benchmark, case = result.benchmark, result.case
    measured = result.measured_score
    return {
        "case": case.reference,
        "case_status": case.status,
        "model": {"name": case.model_name, "version": case.model_version},
        "developer": case.developer.name,
        "benchmark": {
            "slug": benchmark.slug,
            "name": benchmark.name,
            "unit": benchmark.unit,
            "direction": "higher_is_better" if benchmark.higher_is_better else "lower_is_better",
            "range": {"min": _decimal(benchmark.min_score), "max": _decimal(benchmark.max_score)},
        },
        "score": _decimal(result.score),
        "source": result.source,
        "date": case.submitted_at.isoformat(),
        "counts_toward_frontier": case.status != CaseStatus.WITHDRAWN,
        "frontier_before": _decimal(result.frontier_before),
        "jump": result.is_jump,
        "jump_rules": _rules(result.jump_rule or ""),
        "trend_status": result.trend_status or None,
        "months_ahead_of_trend": result.months_ahead,
        "retracted": result.jump_retracted_at is not None,
        "government_score": _decimal(measured),
        "discrepancy": measured is not None and is_discrepancy(benchmark, result.score, measured),
    }


def _page_size(request) -> int | None:
    raw = request.GET.get("page_size", "")
    if not raw:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        return None
    return int(raw)


def _page(user, slug: str, size: int, number) -> dict:
    """One page of the person's frontier as JSON, or the error it gets: kept per person."""
    results = frontier_results(user)
    if slug:
        results = results.filter(benchmark__slug=slug)
    # The page's ids by a narrow query (the sort needs every visible row, not
    # every column), then those rows with their columns: half the work of one.
    paginator = Paginator(results.values_list("pk", flat=True), size)
    try:
        page = paginator.page(number)
    except PageNotAnInteger:
        return {"error": "page is a whole number from 1.", "status": 400}
    except EmptyPage:
        if paginator.count != 0:
            return {"error": f"There are {paginator.num_pages} pages.", "status": 404}
        page = paginator.page(1)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [
            result_json(result) for result in frontier_results_in(user, list(page.object_list))
        ],
    }


@token_required
def frontier(request):
    if request.method != "GET":
        response = api_error("Use GET.", 405)
        response["Allow"] = "GET"
        return response
    if not request.user.is_agency_staff:
        return api_error("Only agency staff read the frontier.", 403)
    if refused := missing_scope(request, FRONTIER_READ):
        return refused
    size = _page_size(request)
    if size is None:
        return api_error(f"page_size is a whole number from 1 to {MAX_PAGE_SIZE}.", 400)
    slug = request.GET.get("benchmark", "").strip()
    shown = kept(
        request.user,
        ("api", slug, size, request.GET.get("page") or "1"),
        lambda: _page(request.user, slug, size, request.GET.get("page") or 1),
    )
    if "error" in shown:
        return api_error(shown["error"], shown["status"])
    base = request.build_absolute_uri(reverse("api_frontier"))

    def link(number):
        query = request.GET.copy()
        query["page"] = number
        return f"{base}?{query.urlencode()}"

    number = shown["page"]
    return JsonResponse(
        {
            "count": shown["count"],
            "page": number,
            "pages": shown["pages"],
            "next": link(number + 1) if number < shown["pages"] else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": shown["results"],
        }
    )

"""Search: cases, discussion threads (and, for agency staff, findings) the person
may see, by what they type.

The case half is ``portal.cases.selectors.search_cases``, the threads'
``portal.discussions.selectors.search_threads``; finding titles live in this
app, so the page that puts them together lives here too. Other apps add
sections through ``portal.core.hooks.search_section``: operators, who see no
case pages, find the models granted to their organization (``access.search``)
instead of cases.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.accounts.models import Membership
from portal.accounts.roles import ANY_ROLE, role_required
from portal.cases.selectors import search_cases
from portal.core.hooks import render_search_sections
from portal.core.links import link_maker
from portal.core.pagination import uncounted_pages
from portal.discussions.selectors import search_threads
from reviews.forms_search import SearchForm
from reviews.search_rows import (
    CASE_ROW,
    FINDING_ROW,
    THREAD_ROW,
    case_row,
    finding_row,
    thread_item,
)
from reviews.selectors import search_findings

PAGE_SIZE = 20


@require_GET
@role_required(*ANY_ROLE)
def search(request):
    # Opened without a query (a link to the page): the empty form, no error yet.
    form = SearchForm(request.GET if "q" in request.GET else None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # An empty or refused query finds nothing: no query runs, nothing is hinted at.
    # Each list is one statement, never counted in full (a query may match
    # thousands): "N match" where the page holds the last rows, "more than N"
    # before that. The three go in one round trip on PostgreSQL (uncounted_pages),
    # each row the few columns it shows, written in Python (reviews.search_rows)
    # with each list's links reversed once.
    cases, findings, threads = uncounted_pages(
        (search_cases(request.user, query).values(*CASE_ROW), PAGE_SIZE, request.GET.get("page")),
        (
            search_findings(request.user, query).values(*FINDING_ROW),
            PAGE_SIZE,
            request.GET.get("findings_page"),
        ),
        (
            search_threads(request.user, query).values(*THREAD_ROW),
            PAGE_SIZE,
            request.GET.get("threads_page"),
        ),
    )
    agency_staff = request.user.is_agency_staff
    case_link = link_maker("reviews:workspace" if agency_staff else "portal:case_detail")
    finding_link = link_maker("reviews:case_findings")
    thread_link = link_maker("discussions:thread")
    return render(
        request,
        "reviews/search.html",
        {
            "form": form,
            "query": query,
            "cases": cases,
            "findings": findings,
            "threads": threads,
            # Agency staff search findings too, and work cases in the workspace.
            "agency_staff": agency_staff,
            # Operators reach cases only through their grants: a section lists those.
            "searches_cases": request.user.role not in Membership.OPERATOR_ROLES,
            "sections": render_search_sections(request, query),
            "case_rows": [case_row(case, case_link) for case in cases],
            "finding_rows": [finding_row(finding, finding_link) for finding in findings],
            "thread_items": [thread_item(thread, thread_link) for thread in threads],
        },
    )

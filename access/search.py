"""An operator's search: the models granted to their organization.

Operators see no case pages; the cases they may know of are those of their
organization's grants, so the search page lists those grants, each linking to
its page (``access.selectors.search_grants``). Nobody else gets the section.
"""

from access.selectors import search_grants
from portal.accounts.models import Membership
from portal.core.hooks import search_section
from portal.core.pagination import CountedPaginator

PAGE_SIZE = 20


@search_section(10)
def granted_models_found(request, query: str):
    if request.user.role not in Membership.OPERATOR_ROLES or not query:
        return None
    grants = CountedPaginator(search_grants(request.user, query), PAGE_SIZE).get_page(
        request.GET.get("grants_page")
    )
    return "access/search_section.html", {"grants": grants, "query": query}

"""The case's discussions: the Discussion section of the developer's case page.

The workspace has a Discussion section of its own (``reviews.views.workspace``),
with every thread and the form to start one; this one lists the latest ten.
"""

from django.urls import reverse

from portal.core.hooks import CASE_PAGE, case_panel
from portal.discussions.access import agency_on_case, startable_markings
from portal.discussions.selectors import threads_on_case


def _member_on_submitted(user, case) -> bool:
    return not case.is_draft and getattr(user, "membership", None) is not None


@case_panel(
    25, section="discussion", title="Discussion", pages=(CASE_PAGE,), shown_to=_member_on_submitted
)
def discussion_panel(request, case):
    user = request.user
    if case.is_draft or getattr(user, "membership", None) is None:
        return None
    # Agency staff are asked once whether the case is theirs; the rest need no asking.
    on_case = agency_on_case(user, case) if user.membership.agency_id is not None else None
    threads = list(threads_on_case(user, case, agency_on_case=on_case)[:10])
    can_start = bool(startable_markings(user, case, on_case=on_case))
    if not threads and not can_start:
        return None
    if user.is_agency_staff:
        # The workspace's section; a name, not an import (reviews is a layer above).
        all_url = reverse("reviews:case_discussion", args=[case.pk])
    else:
        all_url = reverse("discussions:case_threads", args=[case.pk])
    return (
        "discussions/case_panel.html",
        {"threads": threads, "all_url": all_url, "can_start": can_start},
    )

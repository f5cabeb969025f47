"""The case's discussions as a panel: on the developer's case page, and on the
workspace's overview for agency staff (where the reviewers' notes used to be)."""

from django.urls import reverse

from portal.core.hooks import case_panel
from portal.discussions.access import startable_markings
from portal.discussions.selectors import threads_on_case


@case_panel(25)
def discussion_panel(request, case):
    user = request.user
    if case.is_draft or getattr(user, "membership", None) is None:
        return None
    threads = list(threads_on_case(user, case)[:10])
    can_start = bool(startable_markings(user, case))
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

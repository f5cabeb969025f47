"""Moving a submitted case's planned public release.

A plan may slip or advance after submission: the developer reports it with a
reason, short notice is judged again, the agencies are told, and grants whose
end follows the release move with it (through ``release_date_changed``).
Marking the actual release is a lifecycle transition (``lifecycle.mark_released``).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from portal.audit import events as audit
from portal.cases.models import Submission
from portal.cases.services.lifecycle import (
    CaseActionRefused,
    NoticeCheck,
    locked_case,
    notify_agencies,
    require_developer,
)
from portal.core.hooks import release_date_changed


def change_release_date(
    *, actor, case_id: int, planned_release_date: date, reason: str
) -> Submission:
    """The developer moves the planned public release of a submitted case.

    Short notice is judged again against the day the case was submitted; grants
    whose end follows the release move with it (``access`` receives
    ``release_date_changed``); every routed agency's coordinators are told.
    """
    reason = reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if case.is_draft:
            raise CaseActionRefused("The case is a draft: edit its details instead.")
        if case.is_closed:
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "its release date can no longer change."
            )
        assert case.submitted_at is not None and case.planned_release_date is not None
        submitted_on = timezone.localdate(case.submitted_at)
        if planned_release_date < submitted_on:
            raise CaseActionRefused(
                f"{planned_release_date:%B %-d, %Y} is before the case was submitted "
                f"({submitted_on:%B %-d, %Y}). Choose a planned release on or after that day."
            )
        if planned_release_date < timezone.localdate():
            raise CaseActionRefused(
                f"{planned_release_date:%B %-d, %Y} is in the past. If the model is already "
                "public, mark the case as released instead."
            )
        if planned_release_date == case.planned_release_date:
            raise CaseActionRefused(
                f"The planned release is already {planned_release_date:%B %-d, %Y}."
            )
        if not reason:
            raise CaseActionRefused("Give a reason for changing the planned release date.")
        previous = case.planned_release_date
        was_short = case.short_notice
        notice = NoticeCheck.for_release(planned_release_date, submitted_on)
        case.planned_release_date = planned_release_date
        case.short_notice = notice.short_notice
        if not notice.short_notice:
            case.short_notice_reason = ""
        elif not was_short:
            # Short notice needs a reason: the reason for the move is it.
            case.short_notice_reason = reason
        case.save(
            update_fields=[
                "planned_release_date",
                "short_notice",
                "short_notice_reason",
                "updated_at",
            ]
        )
        audit.record(
            "case.release_date_changed",
            actor=actor,
            target=case,
            details={
                "from": previous,
                "to": planned_release_date,
                "reason": reason,
                "short_notice": case.short_notice,
            },
        )
        release_date_changed.send(sender=Submission, case=case, previous=previous, actor=actor)
        flag = ""
        if case.short_notice != was_short:
            flag = " (now short notice)" if case.short_notice else " (no longer short notice)"
        warning = (
            f" It is now before the review is due ({case.review_due:%B %-d, %Y})."
            if case.release_before_review_due
            else ""
        )
        notify_agencies(
            case,
            f"{case.number}: planned release moved to {planned_release_date:%B %-d, %Y}{flag}",
            f"{case.developer} moved the planned public release of {case.title} from "
            f"{previous:%B %-d, %Y} to {planned_release_date:%B %-d, %Y}.{warning}\n"
            f"Reason: {reason}",
        )
    return case

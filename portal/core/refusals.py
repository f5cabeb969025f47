"""A service's refusal, and the one way a view turns it into a message.

A service that may not act now raises ``ActionRefused`` (in the apps,
``CaseActionRefused`` and its subclasses) with a message for the person; its
transaction rolls back, so nothing changes. A model's ``full_clean`` refuses
with Django's ``ValidationError``. Views run the service through
``run_service``: a refusal becomes an error message, success a success
message, and either way the person goes back to the page they acted on.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect


class ActionRefused(Exception):
    """The action is not allowed now; the message says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


REFUSALS = (ActionRefused, ValidationError)


def refusal_message(refusal: ActionRefused | ValidationError) -> str:
    if isinstance(refusal, ActionRefused):
        return refusal.message
    return "; ".join(refusal.messages)


def run_service(
    request,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: str,
) -> HttpResponseRedirect:
    """Call ``action``; show its refusal, or ``success`` (a text, or made from its result).

    ``redirect_to`` is where the person goes back to either way (a URL).
    """
    try:
        result = action()
    except REFUSALS as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(redirect_to)

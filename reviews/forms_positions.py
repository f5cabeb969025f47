"""Forms for the joint recommendation's coordination: the lead, the deadline, positions.

They check the shape of what was typed; whether the person may act, and
whether the case allows it now, is the services' decision
(``reviews.services.positions``).
"""

from typing import cast

from django import forms
from django.core.validators import MaxLengthValidator

from portal.accounts.models import Agency
from portal.core.forms import UswdsFormMixin
from reviews.forms_requests import TEXT_LIMIT
from reviews.models import PositionMarking
from reviews.services.positions import CHOSEN_STANCES


def _text(label: str, *, rows: int = 4, required: bool = True, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        strip=True,
        validators=[MaxLengthValidator(TEXT_LIMIT)],
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_LIMIT}),
    )


class LeadForm(UswdsFormMixin, forms.Form):
    """Hand the lead to another agency the case is routed to."""

    agency = forms.ModelChoiceField(label="New lead agency", queryset=Agency.objects.none())
    reason = forms.CharField(label="Reason", required=False, max_length=500, strip=True)

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("prefix", "lead")
        super().__init__(*args, **kwargs)
        agency = cast(forms.ModelChoiceField, self.fields["agency"])
        agency.queryset = (
            Agency.objects.filter(routings__case=case)
            .exclude(pk=case.lead_agency_id)
            .order_by("acronym")
        )
        if not self.is_bound:
            # Listed from one plain query, not a server-side cursor (declare, fetch, close).
            agency.choices = [("", agency.empty_label), *((a.pk, str(a)) for a in agency.queryset)]


class DeadlineForm(UswdsFormMixin, forms.Form):
    response_deadline = forms.DateField(
        label="Positions due",
        help_text="After this date a participating agency without a position counts as no "
        "response, and the recommendation can be issued without it.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "deadline")
        super().__init__(*args, **kwargs)


STANCE_CHOICES = [(stance.value, stance.label) for stance in CHOSEN_STANCES]


class PositionForm(UswdsFormMixin, forms.Form):
    stance = forms.ChoiceField(label="Position", choices=STANCE_CHOICES, widget=forms.RadioSelect)
    text = _text(
        "Conditions or reasons",
        required=False,
        help_text="Required when your agency concurs with conditions or dissents.",
    )
    marking = forms.ChoiceField(
        label="Who may read it",
        choices=PositionMarking.choices,
        initial=PositionMarking.INTERAGENCY,
        widget=forms.RadioSelect,
        help_text="Interagency: the agencies on the case. Shared with the developer: the "
        "developer reads it with the issued recommendation, under your agency's name.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "position")
        super().__init__(*args, **kwargs)


class AmendmentForm(PositionForm):
    reason = _text("Reason for the amendment", rows=3)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "amendment")
        super().__init__(*args, **kwargs)

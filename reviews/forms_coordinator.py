"""Forms of the coordinator's side: the queue's filters, assigning, due dates, routing.

A form's choices are what a coordinator can sensibly pick (reviewers free to
take the case, agencies not yet on it). A posted choice is checked against the
coordinator's own agency only: whether the person is already assigned or
declared a conflict is the service's decision, made under the case lock, and
its refusal says so in words.
"""

from typing import cast

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from portal.accounts.models import Agency, Membership
from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.core.forms import FormClassOnce, UswdsFormMixin
from reviews.models import Assignment
from reviews.selectors import CLOSED, agency_reviewers, cached_open_loads

OPEN = "open"
ALL = "all"
NOT_A_REVIEWER = "Choose an active reviewer of your agency."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class QueueFilterForm(UswdsFormMixin, forms.Form):
    pass


class QueueFilter(FormClassOnce, django_filters.FilterSet):
    """Search and status over the agency's queue: its routings (``queue_routings``)."""

    q = django_filters.CharFilter(method="search", label="Case number or model")
    status = django_filters.ChoiceFilter(
        method="by_status",
        label="Status",
        empty_label=None,
        null_label=None,
        choices=[
            (OPEN, "Open cases"),
            (ALL, "All cases"),
            *[(value, label) for value, label in CaseStatus.choices if value != CaseStatus.DRAFT],
        ],
    )

    capability_jump = django_filters.BooleanFilter(
        field_name="case__capability_jump",
        label="Capability jump",
        widget=forms.Select(
            choices=[("", "Any"), ("true", "Capability jump only"), ("false", "No jump")]
        ),
    )

    class Meta:
        model = CaseRouting
        form = QueueFilterForm
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        # Open cases unless the coordinator asks for others.
        data = data.copy() if data is not None else {}
        data.setdefault("status", OPEN)
        super().__init__(data, *args, **kwargs)

    def shows_open_cases_only(self) -> bool:
        """Valid, and no narrower than the default: every open case of the agency."""
        if not self.is_valid():
            return False
        data = self.form.cleaned_data
        return (
            data.get("status") == OPEN
            and not (data.get("q") or "").strip()
            and data.get("capability_jump") is None
        )

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(case__number__icontains=value)
            | Q(case__model_name__icontains=value)
            | Q(case__model_version__icontains=value)
        )

    def by_status(self, queryset, name, value):
        if value == ALL:
            return queryset
        if value == OPEN:
            return queryset.exclude(case_status__in=CLOSED)
        return queryset.filter(case_status=value)


class PlainSelect(forms.Select):
    """A select whose options are written here rather than by a template each.

    The same markup as Django's ``Select`` (no option groups): an agency's
    reviewers run to a hundred options, and a template per option cost more than
    the rest of the page.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "\n".join(
            _option("" if value is None else str(value), str(label), chosen)
            for value, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            # Safe: _option escapes each value and label, as the option template would.
            SafeString(options),
        )


def _option(value: str, label: str, chosen: set[str]) -> str:
    """One option, escaped as a template would (``escape`` on the value and the label)."""
    selected = " selected" if value in chosen else ""
    return f'<option value="{escape(value)}"{selected}>{escape(label)}</option>'


class AssignForm(UswdsFormMixin, forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        widget=PlainSelect,
        empty_label="Choose a reviewer",
        error_messages={"invalid_choice": NOT_A_REVIEWER},
    )
    role = forms.ChoiceField(
        choices=Assignment.Role.choices, initial=Assignment.Role.REVIEWER, widget=PlainSelect
    )
    due_date = forms.DateField(
        widget=DateInput, help_text="On or before the case’s review due date."
    )

    def __init__(self, *args, case: Submission, agency_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].initial = case.review_due
        if case.review_due:
            self.fields["due_date"].widget.attrs["max"] = case.review_due.isoformat()
        if case.planned_release_date:
            # A warning, not a limit: a due date after the release is allowed.
            self.fields["due_date"].help_text += (
                f" The planned public release is {case.planned_release_date:%B %-d, %Y}; "
                "a due date after it is allowed, with a warning."
            )
        reviewer = cast(forms.ModelChoiceField, self.fields["reviewer"])
        if self.is_bound:
            reviewer.queryset = get_user_model().objects.filter(
                is_active=True,
                membership__agency_id=agency_id,
                membership__role=Membership.Role.REVIEWER,
            )
        else:
            # The options straight from one query, labelled with the loads from the
            # cache (counted once for every coordinator of the agency until an
            # assignment or a case's status changes): no person built as a model.
            loads = cached_open_loads(agency_id)
            rows = available_reviewers(case, agency_id).values_list(
                "pk", "first_name", "last_name", "username"
            )
            reviewer.choices = [
                ("", reviewer.empty_label),
                *(
                    # Named as ``User.display_name`` names them.
                    (pk, f"{f'{first} {last}'.strip() or username} ({loads.get(pk, 0)} open)")
                    for pk, first, last, username in rows
                ),
            ]


def available_reviewers(case: Submission, agency_id: int):
    """Active reviewers of the agency who could take this case now:
    not on it already and without a conflict declared on it."""
    taken = Assignment.objects.filter(case=case, reviewer=OuterRef("pk")).filter(
        Q(status__in=Assignment.HOLDING)
        | Q(financial_interest=True)
        | Q(recent_employment=True)
        | ~Q(other_conflict="")
    )
    return agency_reviewers(agency_id).exclude(Exists(taken))


class DueDateForm(UswdsFormMixin, forms.Form):
    due_date = forms.DateField(widget=DateInput)


class RouteForm(UswdsFormMixin, forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        widget=PlainSelect,
        empty_label="Choose an agency",
        error_messages={"invalid_choice": "Choose an agency that takes cases."},
    )

    def __init__(self, *args, case: Submission, **kwargs):
        super().__init__(*args, **kwargs)
        agency = cast(forms.ModelChoiceField, self.fields["agency"])
        agency.queryset = Agency.objects.order_by("acronym")
        if not self.is_bound:
            # Read once, in one query: a model choice field would read them through a
            # server-side cursor (declare, fetch, close) each time it lists them.
            agency.choices = [
                ("", agency.empty_label),
                *(
                    (each.pk, str(each))
                    for each in agency.queryset.active().exclude(routings__case=case)
                ),
            ]

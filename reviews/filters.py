"""Filters of the reviewer's queue.

The FilterSet only ever sees ``reviewer_queue(user)``: the cases the reviewer
is assigned to, with the highest severity they may read already annotated. Its
developer choices are the developers of those same cases
(``reviews.selectors.reviewer_developers``), so the form never names a
developer outside the reviewer's cases, and refuses one.
"""

import django_filters
from django import forms
from django.db.models import Q

from portal.cases.filters import FilterForm
from portal.cases.models import CaseStatus
from portal.core.forms import FormClassOnce
from reviews.models import Severity

# ?sort= value → ORDER BY. Anything else is a form error, never a column name.
SORTS = {
    "due": ("my_due", "number", "pk"),
    "-due": ("-my_due", "number", "pk"),
    "number": ("number", "pk"),
    "severity": ("-top_severity", "my_due", "pk"),
}
SORT_CHOICES = [
    ("due", "My due date, soonest first"),
    ("-due", "My due date, latest first"),
    ("number", "Case number"),
    ("severity", "Highest finding severity"),
]
YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class ReviewerCaseFilter(FormClassOnce, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Case number or model", max_length=100)
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status")
    # Its choices are the reviewer's own, set on each form (see __init__).
    developer = django_filters.ChoiceFilter(choices=[], empty_label="Any developer")
    due_after = django_filters.DateFilter(
        field_name="my_due", lookup_expr="gte", label="My due date on or after"
    )
    due_before = django_filters.DateFilter(
        field_name="my_due", lookup_expr="lte", label="My due date on or before"
    )
    assignment = django_filters.ChoiceFilter(
        field_name="my_status",
        choices=[
            ("invited", "Awaiting my answer"),
            ("accepted", "Accepted"),
            ("completed", "Completed"),
        ],
        empty_label="Any",
        label="My assignment",
    )
    short_notice = django_filters.BooleanFilter(
        label="Short notice", widget=forms.Select(choices=YES_NO)
    )
    open_request = django_filters.BooleanFilter(
        field_name="has_open_request",
        label="Open information request",
        widget=forms.Select(choices=YES_NO),
    )
    capability_jump = django_filters.BooleanFilter(
        label="Capability jump", widget=forms.Select(choices=YES_NO)
    )
    severity = django_filters.ChoiceFilter(
        field_name="top_severity",
        lookup_expr="gte",
        choices=[(str(level.value), f"{level.label} or higher") for level in Severity],
        empty_label="Any severity",
        label="Highest finding severity",
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="keep_order", empty_label=None, label="Sort by"
    )

    class Meta:
        form = FilterForm
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, developers: list[tuple[int, str]], **kwargs):
        """``developers``: (id, name) of the developers of the reviewer's cases, by name."""
        super().__init__(data, queryset=queryset, **kwargs)
        self.form.fields["developer"].choices = developers

    def shows_every_case(self) -> bool:
        """Valid and narrowed by nothing (a sort order changes no rows)."""
        if not self.is_valid():
            return False
        data = self.form.cleaned_data
        return not any(value not in (None, "") for name, value in data.items() if name != "sort")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(model_name__icontains=value))

    def keep_order(self, queryset, name, value):
        return queryset  # Applied last, in filter_queryset.

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or "due"
        return queryset.order_by(*SORTS[sort])

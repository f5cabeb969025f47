"""List filters.

A FilterSet only ever sees a queryset already limited to what the person may see.
"""

import django_filters
from django import forms
from django.db.models import Q

from portal.cases.models import CaseStatus, Submission
from portal.core.forms import FormClassOnce, UswdsFormMixin


class FilterForm(UswdsFormMixin, forms.Form):
    pass


class CaseFilter(FormClassOnce, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Case number or model")
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status")
    short_notice = django_filters.BooleanFilter(
        label="Notice",
        widget=forms.Select(
            choices=[
                ("", "Any notice"),
                ("true", "Short notice only"),
                ("false", "Full notice only"),
            ]
        ),
    )
    release_after = django_filters.DateFilter(
        field_name="planned_release_date", lookup_expr="gte", label="Release on or after"
    )
    release_before = django_filters.DateFilter(
        field_name="planned_release_date", lookup_expr="lte", label="Release on or before"
    )

    class Meta:
        model = Submission
        form = FilterForm
        fields = ["q", "status", "short_notice", "release_after", "release_before"]

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(model_name__icontains=value)
            | Q(model_version__icontains=value)
        )

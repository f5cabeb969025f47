"""The form a case's reviewers record a government-measured score with."""

from django import forms

from portal.cases.models import Benchmark
from portal.core.forms import UswdsFormMixin, reject_control_characters


class GovernmentScoreForm(UswdsFormMixin, forms.Form):
    benchmark = forms.ModelChoiceField(
        queryset=Benchmark.objects.filter(active=True).order_by("name"),
        empty_label="Choose a benchmark",
    )
    score = forms.DecimalField(
        max_digits=12, decimal_places=4, help_text="In the benchmark's unit, as you measured it."
    )
    notes = forms.CharField(
        required=False,
        max_length=500,
        label="How it was measured",
        help_text="Harness, settings, number of runs.",
        validators=[reject_control_characters],
    )

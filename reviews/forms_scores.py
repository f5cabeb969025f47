"""The form a case's reviewers record a government-measured score with."""

from django import forms

from portal.cases.forms import ScoreField, ScoreFormMixin
from portal.cases.models import Benchmark
from portal.core.forms import UswdsFormMixin, reject_control_characters


class GovernmentScoreForm(ScoreFormMixin, UswdsFormMixin, forms.Form):
    benchmark = forms.ModelChoiceField(
        queryset=Benchmark.objects.filter(active=True).order_by("name"),
        empty_label="Choose a benchmark",
    )
    score = ScoreField(help_text="In the benchmark's unit, as you measured it, inside its range.")
    notes = forms.CharField(
        required=False,
        max_length=500,
        label="How it was measured",
        help_text="Harness, settings, number of runs.",
        validators=[reject_control_characters],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_benchmarks()

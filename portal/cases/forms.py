"""Forms for the developer's side of a case."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MaxLengthValidator
from django.utils import timezone

from portal.accounts.selectors import developer_people
from portal.cases.models import Artifact, Benchmark, Submission
from portal.cases.snapshots import BadRelativePath, clean_relative_path
from portal.core.forms import UswdsFormMixin, reject_control_characters

TEXT_LIMIT = 20_000


class CaseForm(UswdsFormMixin, forms.ModelForm):
    class Meta:
        model = Submission
        fields = [
            "model_name",
            "model_version",
            "description",
            "planned_release_date",
            "access_mode",
            "deployment_notes",
            "contact_person",
        ]
        widgets = {
            "planned_release_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 5}),
            "deployment_notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"planned_release_date": "Planned public release date"}
        help_texts = {
            "description": "What the model is and what it can do. Required to submit.",
            "deployment_notes": "How and to whom the model will be made available.",
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_person"].queryset = developer_people(organization.pk).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["contact_person"].label_from_instance = lambda u: u.display_name()
        for name in ("model_name", "model_version"):
            self.fields[name].validators.append(reject_control_characters)
        for name in ("description", "deployment_notes"):
            self.fields[name].validators.append(MaxLengthValidator(TEXT_LIMIT))
            self.fields[name].widget.attrs["maxlength"] = TEXT_LIMIT

    def clean_planned_release_date(self):
        planned = self.cleaned_data.get("planned_release_date")
        if planned and planned < timezone.localdate():
            raise forms.ValidationError("The planned public release date is in the past.")
        return planned


class ArtifactUploadForm(UswdsFormMixin, forms.Form):
    kind = forms.ChoiceField(choices=Artifact.Kind.choices, label="Kind of artifact")
    file = forms.FileField(label="File", allow_empty_file=False)
    relative_path = forms.CharField(
        required=False,
        strip=False,
        label="Path in the model snapshot",
        help_text="Optional, e.g. weights/shard-0001.safetensors. By default, the file's name.",
    )
    supersedes = forms.ModelChoiceField(
        queryset=Artifact.objects.none(),
        required=False,
        label="Replaces an earlier version of",
        help_text="Optional. Earlier versions stay on the case.",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supersedes"].queryset = case.artifacts.all()

    def clean_relative_path(self):
        raw = self.cleaned_data.get("relative_path") or ""
        if not raw.strip():
            return None
        try:
            return clean_relative_path(raw)
        except BadRelativePath as bad:
            raise forms.ValidationError(bad.message) from None


class ScoreField(forms.Field):
    """A score as typed: any number Python's ``Decimal`` reads, finite or not.

    A text input, not ``type=number``: a browser blanks a number it cannot hold
    (1e309) and the person would be told the field is required. Whether the
    value is finite and inside the benchmark's range is checked by the form,
    which knows the benchmark (``ScoreFormMixin``), so the refusal names the range.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        try:
            return Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError("Enter a number.", code="invalid") from None


class ScoreFormMixin:
    """A ``benchmark`` and a ``score`` field, the score checked against the benchmark's range."""

    score_digits = DecimalValidator(max_digits=12, decimal_places=4)

    def label_benchmarks(self):
        self.fields["benchmark"].label_from_instance = lambda benchmark: (
            f"{benchmark.name} ({benchmark.range_text()})"
        )

    def clean(self):
        cleaned = super().clean()  # type: ignore[misc]
        benchmark, score = cleaned.get("benchmark"), cleaned.get("score")
        if score is None:
            return cleaned
        if benchmark is None:
            if not score.is_finite():
                self.add_error("score", "Enter a finite number.")  # type: ignore[attr-defined]
            return cleaned
        problem = benchmark.score_problem(score)
        if problem is None:
            try:
                self.score_digits(score)
            except ValidationError as error:
                problem = (
                    f"{error.messages[0]} Scores on {benchmark.name} are {benchmark.range_text()}."
                )
        if problem:
            self.add_error("score", problem)  # type: ignore[attr-defined]
        return cleaned


class EvalResultForm(ScoreFormMixin, UswdsFormMixin, forms.Form):
    benchmark = forms.ModelChoiceField(queryset=Benchmark.objects.filter(active=True))
    score = ScoreField(help_text="In the benchmark's unit, inside its valid range.")
    notes = forms.CharField(max_length=500, required=False, validators=[reject_control_characters])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_benchmarks()


class ScoreCorrectionForm(UswdsFormMixin, forms.Form):
    """A submitted case's reported score, corrected; the service checks the range."""

    score = ScoreField(
        label="Corrected score",
        help_text="In the benchmark's unit, inside its valid range.",
        error_messages={"required": "Enter the corrected score."},
    )
    reason = forms.CharField(
        label="Reason for the correction",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        validators=[reject_control_characters],
        error_messages={"required": "Give a reason for the correction."},
    )


class ReasonForm(UswdsFormMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class ReleaseDateForm(UswdsFormMixin, forms.Form):
    """A submitted case's new planned release; the service judges the date and the reason."""

    planned_release_date = forms.DateField(
        label="New planned public release date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the new planned public release date.",
            "invalid": "Give the new planned public release date as a date.",
        },
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class ReleasedOnForm(UswdsFormMixin, forms.Form):
    """The day the model actually became public."""

    released_on = forms.DateField(
        label="Public release date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the day the model became public.",
            "invalid": "Give the day the model became public as a date.",
        },
    )

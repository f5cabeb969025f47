"""Forms for the developer's side of a case."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from portal.accounts.selectors import developer_people
from portal.cases.models import Artifact, Benchmark, Submission
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
    supersedes = forms.ModelChoiceField(
        queryset=Artifact.objects.none(),
        required=False,
        label="Replaces an earlier version of",
        help_text="Optional. Earlier versions stay on the case.",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supersedes"].queryset = case.artifacts.all()


class EvalResultForm(UswdsFormMixin, forms.Form):
    benchmark = forms.ModelChoiceField(queryset=Benchmark.objects.filter(active=True))
    score = forms.DecimalField(max_digits=12, decimal_places=4)
    notes = forms.CharField(max_length=500, required=False, validators=[reject_control_characters])


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

"""Forms for granting, nominating and revoking access, and for operators' reports.

They check the shape of what was typed (an operator that exists, an end after
the start); whether the person may act, and whether the case allows it now, is
the services' decision.
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from access.models import EvaluationReport
from access.services import default_end
from portal.accounts.models import Organization
from portal.cases.models import Artifact
from portal.core.forms import UswdsFormMixin

REPORT_TEXT_LIMIT = 20_000
# A report carries at most this many files; they are evidence, not a data dump.
MAX_REPORT_FILES = 10
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def report_scope(access_grant) -> str:
    """The one-time nonce scope of a grant's report form (a double submit files one report)."""
    return f"report:{access_grant.pk}"


def _moment(label: str, *, required: bool, help_text: str = ""):
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


def _operators():
    return Organization.objects.active().filter(kind=Organization.Kind.OPERATOR).order_by("name")


def _offer_operators(field) -> None:
    """The active operators for ``field``: checked against the queryset, offered from
    one query of two columns (what the select shows: each one's name)."""
    field.queryset = _operators()
    field.choices = [("", field.empty_label), *_operators().values_list("pk", "name")]


def _offer_artifacts(field, case) -> None:
    """The case's artifacts for ``field``, each named as ``str(artifact)`` names it,
    from one query of three columns."""
    field.queryset = case.artifacts.order_by("kind", "uploaded_at")
    kinds = dict(Artifact.Kind.choices)
    field.choices = [
        (pk, f"{name} ({kinds.get(kind, kind)})")
        for pk, name, kind in field.queryset.values_list("pk", "original_name", "kind")
    ]


def _check_end(ends_at, starts_at=None) -> None:
    if ends_at is None:
        return
    if ends_at <= timezone.now():
        raise forms.ValidationError({"ends_at": "The end of access must be in the future."})
    if starts_at is not None and ends_at <= starts_at:
        raise forms.ValidationError({"ends_at": "Access must end after it starts."})


class GrantForm(UswdsFormMixin, forms.Form):
    ALL, CHOSEN = "all", "chosen"

    operator = forms.ModelChoiceField(
        label="Operator", queryset=Organization.objects.none(), empty_label="- Select -"
    )
    scope = forms.ChoiceField(
        label="Artifacts",
        choices=[(ALL, "All artifacts, including later versions"), (CHOSEN, "Only these:")],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    artifacts: "forms.ModelMultipleChoiceField[Artifact]" = forms.ModelMultipleChoiceField(
        label="Chosen artifacts",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = _moment("Access starts", required=False, help_text="Leave empty to start now.")
    ends_at = _moment(
        "Access ends",
        required=False,
        help_text="Defaults to the start of the planned public release day.",
    )

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("prefix", "grant")
        super().__init__(*args, **kwargs)
        self.case = case
        _offer_operators(self.fields["operator"])
        _offer_artifacts(self.fields["artifacts"], case)
        if case.planned_release_date:
            self.fields["ends_at"].initial = timezone.localtime(default_end(case))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.CHOSEN and not cleaned.get("artifacts"):
            self.add_error("artifacts", "Choose the artifacts to share.")
        _check_end(cleaned.get("ends_at"), cleaned.get("starts_at") or timezone.now())
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        chosen = data["scope"] == self.CHOSEN
        return {
            "operator": data["operator"],
            "all_artifacts": not chosen,
            "artifact_ids": [a.pk for a in data["artifacts"]] if chosen else None,
            "starts_at": data.get("starts_at"),
            "ends_at": data.get("ends_at"),
        }


class NominationForm(UswdsFormMixin, forms.Form):
    operator = forms.ModelChoiceField(
        label="Operator to nominate",
        queryset=Organization.objects.none(),
        empty_label="- Select -",
    )
    ends_at = _moment(
        "Access would end",
        required=False,
        help_text="Leave empty for the planned public release. The developer decides.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "nominate")
        super().__init__(*args, **kwargs)
        _offer_operators(self.fields["operator"])

    def clean(self):
        cleaned = super().clean()
        _check_end(cleaned.get("ends_at"))
        return cleaned


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, strip=True, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportForm(UswdsFormMixin, forms.Form):
    """The operator's evaluation; its files are streamed in by the view's upload handler."""

    title = forms.CharField(label="Title", max_length=200, strip=True)
    risk = forms.ChoiceField(
        label="Risk to your systems",
        choices=EvaluationReport.Risk.choices,
        widget=forms.RadioSelect,
    )
    assessment = forms.CharField(
        label="Assessment",
        strip=True,
        validators=[MaxLengthValidator(REPORT_TEXT_LIMIT)],
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": REPORT_TEXT_LIMIT}),
        help_text="What you tested, what you found, what it means for your systems.",
    )
    marking = forms.ChoiceField(
        label="Who may read the report",
        choices=EvaluationReport.Marking.choices,
        initial=EvaluationReport.Marking.AGENCY_ONLY,
        widget=forms.RadioSelect,
        help_text="The reviewing agencies always read it. The developer only if you say so.",
    )

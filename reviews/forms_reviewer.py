"""Forms of the reviewer's day: answering an invitation, recording and updating findings."""

from django import forms
from django.core.exceptions import ValidationError

from portal.core.forms import UswdsFormMixin, reject_control_characters
from reviews.models import Finding, Marking

MAX_EVIDENCE_FILES = 10


class RespondForm(UswdsFormMixin, forms.Form):
    """The conflict-of-interest attestation, then accept or decline."""

    financial_interest = forms.BooleanField(
        required=False,
        label="I have a financial interest in the developer",
        help_text="Shares, options, debt, or a close family member's interest.",
    )
    recent_employment = forms.BooleanField(
        required=False,
        label="I worked for the developer in the last two years",
        help_text="As an employee, contractor or consultant.",
    )
    has_other_conflict = forms.BooleanField(required=False, label="I have another conflict")
    other_conflict = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Describe the other conflict",
    )
    decision = forms.ChoiceField(
        choices=[("accept", "Accept the invitation"), ("decline", "Decline the invitation")],
        widget=forms.RadioSelect,
        label="Your answer",
        help_text="Declaring a conflict declines the invitation, whichever you choose.",
    )
    decline_reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason for declining",
        help_text="Shared with your agency's coordinators.",
    )
    attest = forms.BooleanField(
        label="I confirm these answers are complete and true",
        error_messages={"required": "Confirm your answers before you send them."},
    )

    def clean(self):
        cleaned = super().clean()
        other = (cleaned.get("other_conflict") or "").strip()
        if cleaned.get("has_other_conflict") and not other:
            self.add_error("other_conflict", "Describe the other conflict.")
        # Text without the box ticked is not a declaration: it is dropped.
        cleaned["other_conflict"] = other if cleaned.get("has_other_conflict") else ""
        return cleaned


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Zero or more files, each already streamed to disk by ``HashingUploadHandler``."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_EVIDENCE_FILES:
            raise ValidationError(f"Attach at most {MAX_EVIDENCE_FILES} files.")
        return [super(EvidenceField, self).clean(item, initial) for item in files]


class FindingForm(UswdsFormMixin, forms.Form):
    title = forms.CharField(max_length=200, validators=[reject_control_characters])
    category = forms.ChoiceField(choices=Finding.Category.choices)
    severity = forms.TypedChoiceField(choices=Finding.Severity.choices, coerce=int)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    marking = forms.ChoiceField(
        choices=Marking.choices,
        initial=Marking.AGENCY_ONLY,
        widget=forms.RadioSelect,
        label="Handling marking",
        help_text=(
            "Who may read the finding. Agency only: your agency's staff on the case. "
            "Interagency: every reviewing agency. Developer: also the developer. "
            "Operators: also operators with access to the model."
        ),
    )
    evidence = EvidenceField(required=False, label="Evidence files")


class FindingUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Finding.Status.choices)
    marking = forms.ChoiceField(choices=Marking.choices)

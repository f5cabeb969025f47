"""The forms of a discussion: a new thread, a reply. Attachments stream to disk first
(``portal.files.uploads.HashingUploadHandler``); the services store them."""

from django import forms
from django.core.exceptions import ValidationError

from portal.accounts.models import Organization
from portal.core.forms import UswdsFormMixin, reject_control_characters
from portal.discussions.models import Marking
from portal.discussions.services import MAX_ATTACHMENTS, MAX_BODY


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each already streamed to disk."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(f"Attach at most {MAX_ATTACHMENTS} files.")
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


class MessageForm(UswdsFormMixin, forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MAX_BODY,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text.",
        validators=[reject_control_characters],
        error_messages={"required": "Write the message first."},
    )
    attachments = AttachmentsField(
        required=False,
        label="Attachments",
        help_text=f"Up to {MAX_ATTACHMENTS} files.",
    )


class ThreadForm(MessageForm):
    """A new thread: its subject, its marking (only those the person may set) and
    its first message. The organization is asked only of coordinators addressing
    an operator."""

    field_order = ["subject", "marking", "organization", "body", "attachments"]

    subject = forms.CharField(
        max_length=200,
        validators=[reject_control_characters],
        error_messages={"required": "Give the thread a subject."},
    )
    marking = forms.ChoiceField(
        label="Who reads it",
        widget=forms.RadioSelect,
        help_text="Fixed once the thread starts.",
    )
    organization: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label="Operator (for a thread with an operator)",
        empty_label="Choose an operator",
    )

    def __init__(self, *args, markings=(), operators=None, agency_label="", **kwargs):
        super().__init__(*args, **kwargs)
        markings = list(markings)
        # Every marking validates, so a wider one than the person may set reaches
        # the service and is refused with its reason; only the allowed are offered.
        marking = self.fields["marking"]
        marking.choices = Marking.choices
        labels = {Marking.AGENCY_ONLY: f"{agency_label} only"} if agency_label else {}
        if len(markings) == 1:
            marking.widget = forms.HiddenInput()
        else:
            marking.widget.choices = [(m, labels.get(m) or Marking(m).label) for m in markings]
        marking.initial = markings[0] if markings else None
        if operators is None or Marking.OPERATOR not in markings:
            del self.fields["organization"]
        else:
            # Checked against the queryset; offered from one query of two columns.
            organization = self.fields["organization"]
            organization.queryset = operators
            organization.choices = [
                ("", organization.empty_label),
                *operators.values_list("pk", "name"),
            ]

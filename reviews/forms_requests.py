"""Forms for information requests, notes and the recommendation.

They check the shape of what was typed; whether the person may act, and
whether the case allows it now, is the services' decision.
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from portal.core.forms import UswdsFormMixin
from reviews.models import Recommendation

TEXT_LIMIT = 20_000
# An answer carries at most this many files; larger material belongs in the case's artifacts.
MAX_ANSWER_FILES = 10


def answer_scope(info_request) -> str:
    """The one-time nonce scope of one request's answer form (a double submit stores one answer)."""
    return f"answer:{info_request.pk}"


def _text(label: str, *, rows: int = 4, required: bool = True, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        strip=True,
        validators=[MaxLengthValidator(TEXT_LIMIT)],
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_LIMIT}),
    )


class InformationRequestForm(UswdsFormMixin, forms.Form):
    question = _text(
        "Question for the developer",
        help_text="The developer sees this question. The review clock pauses until it is answered.",
    )
    response_due = forms.DateField(
        label="Answer due", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "request")
        super().__init__(*args, **kwargs)

    def clean_response_due(self):
        due = self.cleaned_data["response_due"]
        if due <= timezone.localdate():
            raise forms.ValidationError("The answer due date must be after today.")
        return due


class AnswerForm(forms.Form):
    """The developer's answer; its files are streamed in by the view's upload handler."""

    answer = _text("Your answer")


class RecommendationForm(UswdsFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=Recommendation.Outcome.choices, widget=forms.RadioSelect
    )
    summary = _text("Summary", rows=5, help_text="What the review found, for the developer.")
    conditions = _text(
        "Conditions",
        rows=3,
        required=False,
        help_text="Mitigations or conditions the agencies recommend before release.",
    )
    for_operators = _text(
        "For operators",
        rows=3,
        required=False,
        help_text=(
            "What the critical-infrastructure operators with access to the model may read "
            "once the recommendation is issued. Leave empty to share nothing with them."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "recommendation")
        super().__init__(*args, **kwargs)

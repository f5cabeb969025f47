"""The forms of a routing request: the monitoring agency's reason, the lead's answer."""

from django import forms

from portal.capability.services import REASON_MAX
from portal.core.forms import UswdsFormMixin


class RoutingRequestForm(UswdsFormMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=REASON_MAX,
        strip=True,
        help_text=(
            "Why your agency needs to read the review. The lead agency's coordinators see it."
        ),
    )


class RoutingAnswerForm(UswdsFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    note = forms.CharField(required=False, max_length=REASON_MAX, strip=True)

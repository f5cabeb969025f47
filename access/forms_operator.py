"""Forms of the operator pages."""

from django import forms

from portal.core.forms import UswdsFormMixin


class TermsAcceptanceForm(UswdsFormMixin, forms.Form):
    """Accepting one version of the terms: the version read is sent back with the form,
    so a version published while the page was open is not accepted unread."""

    terms_id = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label="I have read these terms and accept them.",
        error_messages={"required": "Tick the box to accept the terms."},
    )

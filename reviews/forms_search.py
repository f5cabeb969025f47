"""The search box: what a person types to find cases and findings."""

from django import forms

from portal.core.forms import UswdsFormMixin, reject_control_characters

QUERY_MAX_LENGTH = 200


class SearchForm(UswdsFormMixin, forms.Form):
    q = forms.CharField(
        label="Search cases and findings",
        max_length=QUERY_MAX_LENGTH,
        error_messages={
            "required": "Type a case number, a model name or a developer's name to search.",
            "max_length": f"Search for at most {QUERY_MAX_LENGTH} characters.",
        },
        validators=[reject_control_characters],
    )

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError

USWDS_WIDGET_CLASSES = {
    forms.Select: "usa-select",
    forms.SelectMultiple: "usa-select",
    forms.Textarea: "usa-textarea",
    forms.CheckboxInput: "usa-checkbox__input",
    forms.ClearableFileInput: "usa-file-input",
    forms.FileInput: "usa-file-input",
}


class UswdsFormMixin:
    """Gives every widget the USWDS class for its kind."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = next(
                (c for kind, c in USWDS_WIDGET_CLASSES.items() if type(field.widget) is kind),
                "usa-input",
            )
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()


class SignInForm(UswdsFormMixin, AuthenticationForm):
    error_messages = {
        # The same words whether the name or the password was wrong.
        "invalid_login": "The username or password is not right. Both are case-sensitive.",
        "inactive": "The username or password is not right. Both are case-sensitive.",
    }


class PortalPasswordChangeForm(UswdsFormMixin, PasswordChangeForm):
    pass


def reject_control_characters(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Use letters, digits, spaces and punctuation only.")


class TokenForm(UswdsFormMixin, forms.Form):
    name = forms.CharField(
        max_length=100,
        validators=[reject_control_characters],
        help_text="What the token is for, for example “nightly download script”.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=settings.TOKEN_MAX_DAYS,
        help_text=f"Leave empty for no expiry. At most {settings.TOKEN_MAX_DAYS} days.",
    )

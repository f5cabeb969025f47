"""Sign-in, two-step, password and token forms."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from portal.accounts import recovery
from portal.accounts.models.tokens import SCOPES, scopes_for
from portal.audit import events as audit
from portal.core.forms import UswdsFormMixin, reject_control_characters

# One message for a wrong name, a wrong password and a deactivated account, so the
# sign-in page never tells anyone which usernames exist or which were switched off.
SIGN_IN_REFUSED = "The username or password is not right. Both are case-sensitive."


class SignInForm(UswdsFormMixin, AuthenticationForm):
    error_messages = {"invalid_login": SIGN_IN_REFUSED, "inactive": SIGN_IN_REFUSED}


CODE_REFUSED = "That code is not right. Codes change every 30 seconds and work once."
CONFIRM_REFUSED = "The password or code is not right."


class SignInCodeForm(UswdsFormMixin, forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class EnrolmentForm(UswdsFormMixin, forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=16,
        help_text="Enter the 6-digit code the app shows for the Frontier Review Portal.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConfirmForm(UswdsFormMixin, forms.Form):
    """Re-authentication before a sensitive action: the password, and a code if enrolled."""

    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, needs_code: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_code:
            del self.fields["code"]


class PortalPasswordChangeForm(UswdsFormMixin, PasswordChangeForm):
    def clean(self):
        # Django puts "too short" and "too common" under the confirmation field;
        # they belong under the new password itself. A mismatch stays on the second.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return super(SetPasswordForm, self).clean()


class PortalSetPasswordForm(UswdsFormMixin, SetPasswordForm):
    """A new password from a reset or an invitation link (no old password to give)."""

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return super(SetPasswordForm, self).clean()


class PortalPasswordResetForm(UswdsFormMixin, PasswordResetForm):
    """Asks for an address; mails a reset link to its active accounts, within the hourly limits.

    Whether an account exists, and whether a limit refused it, never shows:
    the page after is the same. Each account's request is audited.
    """

    def get_users(self, email):
        address_allowed = recovery.reset_allowed_for_address(email)
        for user in super().get_users(email):
            sent = address_allowed and recovery.reset_allowed_for_account(user)
            audit.record(
                "auth.password_reset_requested",
                actor=None,
                actor_repr="",
                target=user,
                details={"sent": sent},
            )
            if sent:
                yield user


class EmailChangeForm(UswdsFormMixin, forms.Form):
    email = forms.EmailField(
        label="New email address",
        help_text="We send a link to this address; it changes when you follow the link.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email.casefold() == (self.user.email or "").casefold():
            raise forms.ValidationError("That is already your address.")
        return email


class TokenForm(UswdsFormMixin, forms.Form):
    """A new token: its name, its lifetime and the scopes of the person's role."""

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
        error_messages={
            "max_value": f"A token expires after at most {settings.TOKEN_MAX_DAYS} days.",
            "min_value": "A token expires after at least 1 day.",
        },
        help_text=(
            f"Every token expires. Leave empty for {settings.TOKEN_DEFAULT_DAYS} days; "
            f"at most {settings.TOKEN_MAX_DAYS}."
        ),
    )
    scopes = forms.MultipleChoiceField(
        label="What scripts may do with it",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked for every scope your role may hold.",
        error_messages={"invalid_choice": "Your role may not hold the scope %(value)s."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = scopes_for(user)
        self.fields["scopes"].choices = [(scope, f"{scope}: {SCOPES[scope]}") for scope in allowed]
        if user.is_staff or user.is_agency_staff:
            self.fields["scopes"].help_text += (
                " A token skips your second factor, so agency staff and platform admins "
                "may hold read scopes only."
            )

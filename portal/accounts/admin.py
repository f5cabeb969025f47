"""Django admin for platform admins: agencies, organizations, people, tokens, audit log."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from portal.accounts.invitations import send_invitation
from portal.accounts.models import AccessToken, Agency, Membership, Organization, User
from portal.accounts.receivers import sync_unit_groups
from portal.audit import events as audit
from portal.core.words import counted


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "slug", "active", "monitors_capability", "created_at"]
    list_filter = ["active", "monitors_capability"]
    search_fields = ["name", "acronym", "slug"]
    prepopulated_fields = {"slug": ["acronym"]}
    readonly_fields = ["group", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "monitors_capability" in form.changed_data:
            # Who sees every case's frontier and gets every jump alert: a permission change.
            audit.record(
                "agency.monitoring_changed",
                target=obj,
                details={"agency": obj.acronym, "monitors_capability": obj.monitors_capability},
            )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "active", "created_at"]
    list_filter = ["kind", "sector", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["group", "created_at"]


class MembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    max_num = 1
    can_delete = True
    fields = ["agency", "organization", "role"]
    autocomplete_fields = ["agency", "organization"]


class InvitePersonForm(forms.ModelForm):
    """Adding a person: no password is typed; they get an invitation to set their own."""

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "The invitation to set a password goes to this address."

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    add_form = InvitePersonForm
    add_form_template = None  # the ordinary change form, not Django's "enter a password" one
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "first_name", "last_name"]}),
    ]
    actions = ["resend_invitation"]
    fieldsets = [
        *UserAdmin.fieldsets,  # type: ignore[misc]  # the stubs leave UserAdmin's fieldsets Optional
        ("Notifications", {"fields": ["email_delivery"]}),
    ]
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role_display",
        "unit_display",
        "is_active",
        "is_staff",
    ]
    list_filter = [
        "is_active",
        "is_staff",
        "is_superuser",
        "membership__role",
        "membership__agency",
        "membership__organization",
    ]
    search_fields = ["username", "email", "first_name", "last_name"]
    list_select_related = ["membership__agency", "membership__organization"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            transaction.on_commit(lambda: send_invitation(obj))

    @admin.action(description="Send a new invitation to set a password", permissions=["change"])
    def resend_invitation(self, request, queryset):
        """Only for active people who have not set a password yet; the old link stops working."""
        waiting = [
            person
            for person in queryset.filter(is_active=True).exclude(email="")
            if not person.has_usable_password()
        ]
        for person in waiting:
            send_invitation(person, resent=True)
        skipped = queryset.count() - len(waiting)
        self.message_user(request, f"{counted(len(waiting), 'invitation')} sent.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: they already have a password, no address, or are inactive.",
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change):
        """The groups box is saved before the membership inline, and may name any
        group: put the person back in exactly their unit's group afterwards."""
        super().save_related(request, form, formsets, change)
        sync_unit_groups(form.instance)

    @admin.display(description="role", ordering="membership__role")
    def role_display(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"

    @admin.display(description="agency or organization")
    def unit_display(self, obj):
        membership = getattr(obj, "membership", None)
        return str(membership.unit) if membership else "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "organization", "created_at"]
    list_filter = ["role", "agency", "organization"]
    search_fields = ["user__username", "user__email", "agency__acronym", "organization__name"]
    list_select_related = ["user", "agency", "organization"]
    autocomplete_fields = ["user", "agency", "organization"]


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """Admins can see and revoke tokens, never create or read their secret."""

    list_display = [
        "name",
        "user",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at", "created_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing is allowed through the view permission; nothing is editable.
        return False

    def has_revoke_permission(self, request):
        """Revoking changes a token, so it takes the change permission, though the
        change form itself stays read-only; viewing alone is not enough."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        with transaction.atomic():
            for token in queryset.filter(revoked_at__isnull=True).select_for_update():
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                audit.record(
                    "token.revoked",
                    target=token,
                    details={"prefix": token.prefix, "by_admin": True},
                )
                count += 1
        revoked = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
        self.message_user(request, revoked % {"count": count}, messages.SUCCESS)


# Passkeys: the package ships the admin class but leaves registering it to the project.
# An admin deletes a lost passkey here (the person signs in with a recovery code).
admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)

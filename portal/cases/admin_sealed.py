"""Admin pages for what belongs to a case's reviewers: metadata only, and a break-glass read.

Platform admins run the portal; they are not in any finding's, position's or
report's marking. Their admin pages (``SealedAdmin``) show a record's
metadata (case, agency or operator, marking, severity, dates) and never its
text or files, whatever the marking: not in the list, the form, the page
title or the search. A superuser who must read one for a legal reason uses the
break-glass page of that one record: it asks for a reason, records it in the
audit log (``admin.break_glass``, on the case, so the log itself never holds
the record's title), tells the owning agency's coordinators (and for an
operator's report, the operator's security team) who read what and why, and
shows the content once, on a page that is never cached. Reading it again is
another break-glass.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from portal.audit import events as audit
from portal.core.admin import ReadOnlyAdmin, shown_fields
from portal.core.forms import reject_control_characters
from portal.notifications.services import notify

BREAK_GLASS_REASON_MIN = 20


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why you must read it",
        min_length=BREAK_GLASS_REASON_MIN,
        max_length=2000,
        strip=True,
        validators=[reject_control_characters],
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=(
            "The legal reason, e.g. the request or order you act on. It goes to the audit "
            "log and to the people told about this read."
        ),
        error_messages={
            "required": "Give the reason you must read it.",
            "min_length": (
                f"Give the reason in at least {BREAK_GLASS_REASON_MIN} characters: "
                "the request or order you act on."
            ),
        },
    )


class SealedAdmin(ReadOnlyAdmin):
    """Read-only metadata for a record whose content is for its marking's readers only.

    Subclasses name the ``content_fields`` kept out of every admin page, and
    say whose record it is: ``case_of``, ``owners`` (the people told of a
    break-glass read) and ``content_of`` (what the break-glass page shows).
    """

    content_fields: tuple[str, ...] = ()
    change_form_template = "admin/sealed/change_form.html"

    # --- what the admin shows ---------------------------------------------------------

    def metadata_fields(self) -> list[str]:
        return [name for name in shown_fields(self.model) if name not in self.content_fields]

    def get_fields(self, request, obj=None):
        return self.metadata_fields()

    def get_readonly_fields(self, request, obj=None):
        return self.metadata_fields()

    def get_search_fields(self, request):
        # Searching the text would answer whether it holds a word.
        searchable = super().get_search_fields(request)
        return [f for f in searchable if f.split("__")[0] not in self.content_fields]

    def label(self, obj) -> str:
        """A name for the record that says nothing of its content."""
        return f"{str(self.opts.verbose_name).capitalize()} #{obj.pk}"

    @admin.display(description="record")
    def sealed_label(self, obj):
        return self.label(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["subtitle"] = self.label(obj)
            context["sealed_label"] = self.label(obj)
            context["break_glass_url"] = (
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_break_glass",
                    args=[obj.pk],
                )
                if self.has_break_glass_permission(request)
                else ""
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        # Its title would name the record by its text; nothing is changed here anyway.
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", object_id)

    # --- whose record it is: for the subclasses ---------------------------------------

    def case_of(self, obj):
        return obj.case

    def owners(self, obj):
        """The people told when an admin reads this record."""
        raise NotImplementedError

    def content_of(self, obj) -> list[tuple[str, str]]:
        """(label, text) pairs shown by the break-glass page."""
        return [
            (str(self.model._meta.get_field(name).verbose_name).capitalize(), getattr(obj, name))
            for name in self.content_fields
        ]

    def files_of(self, obj) -> list:
        """Stored files of the record (names, sizes and checksums are shown)."""
        return []

    # --- break glass ------------------------------------------------------------------

    def has_break_glass_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_break_glass"
        return [
            path(
                "<path:object_id>/break-glass/",
                self.admin_site.admin_view(self.break_glass_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    def break_glass_view(self, request, object_id):
        if not self.has_break_glass_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such record.")
        label = self.label(obj)
        form = BreakGlassForm(request.POST if request.method == "POST" else None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Break glass: read {label}",
            "sealed_label": label,
            "obj": obj,
            "form": form,
        }
        if request.method != "POST" or not form.is_valid():
            status = 400 if request.method == "POST" else 200
            return TemplateResponse(
                request, "admin/sealed/break_glass_form.html", context, status=status
            )
        reason = form.cleaned_data["reason"]
        case = self.case_of(obj)
        with transaction.atomic():
            owners = list(self.owners(obj))
            audit.record(
                "admin.break_glass",
                target=case,
                details={
                    "record": self.opts.label_lower,
                    "id": obj.pk,
                    "reason": reason,
                    "notified": sorted(person.username for person in owners),
                },
            )
            notify(
                owners,
                title=f"A platform admin read {label} of case {case.number}",
                body=(
                    f"{request.user.display_name()} used the admin's break-glass read on "
                    f"{label} of case {case.number}. Reason given: {reason}"
                ),
                case=case,
                url=reverse("portal:case_detail", args=[case.pk]),
            )
        messages.warning(
            request,
            f"This read is recorded in the audit log and {len(owners)} "
            f"{'person was' if len(owners) == 1 else 'people were'} told. "
            "The content is shown this once.",
        )
        context.update(
            {
                "title": f"{label} (read once)",
                "content": self.content_of(obj),
                "files": self.files_of(obj),
                "reason": reason,
            }
        )
        response = TemplateResponse(request, "admin/sealed/break_glass_content.html", context)
        add_never_cache_headers(response)
        return response

"""Discussion pages: every thread a person reads, a case's threads, one thread.

Agency staff also reach a case's threads from the workspace's Discussion
section (``reviews``), the developer from its case page (the panel in
``portal.discussions.panels``), operators from their grant page. Every view
finds its thread through ``get_thread_or_404`` (404 alike for missing and out
of reach) and writes only through the services.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST, require_safe

from portal.accounts.models import Membership
from portal.accounts.roles import role_required
from portal.discussions.access import (
    agency_on_case,
    get_discussion_case_or_404,
    get_thread_or_404,
    granted_operators,
    startable_markings,
)
from portal.discussions.forms import MessageForm, ThreadForm
from portal.discussions.models import MessageAttachment
from portal.discussions.selectors import messages_of, threads_for, threads_on_case
from portal.discussions.services import (
    DiscussionRefused,
    mark_read,
    post_message,
    start_thread,
    thread_url,
)
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected

EVERY_ROLE = Membership.Role.values


def thread_form_for(user, case, data=None, files=None, *, markings=None) -> ThreadForm | None:
    """The "Start a thread" form with the markings this person may set, or None.

    ``markings``: what ``startable_markings`` answered, when the caller asked already.
    """
    if markings is None:
        markings = startable_markings(user, case)
    if not markings and data is None:
        return None
    agency = getattr(user.membership, "agency", None)
    return ThreadForm(
        data,
        files,
        markings=markings,
        operators=granted_operators(case) if user.membership.agency_id else None,
        agency_label=agency.acronym if agency else "",
        prefix="thread",
    )


def _agency_staff(user) -> bool:
    membership = getattr(user, "membership", None)
    return membership is not None and membership.agency_id is not None


def case_threads_context(user, case, *, thread_form=None) -> dict:
    """A case's threads for this person, and the form to start one (a fixed set of queries).

    Agency staff are asked once whether the case is theirs (``agency_on_case``):
    both the threads and the markings they may start follow from the answer.
    """
    on_case = None
    if thread_form is None:
        on_case = agency_on_case(user, case) if _agency_staff(user) else None
        thread_form = thread_form_for(
            user, case, markings=startable_markings(user, case, on_case=on_case)
        )
    return {
        "threads": list(threads_on_case(user, case, agency_on_case=on_case)),
        "thread_form": thread_form,
        "for_government": user.is_agency_staff,
    }


@require_GET
@role_required(*EVERY_ROLE)
def inbox(request):
    page = Paginator(threads_for(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "discussions/inbox.html",
        {"page": page, "for_government": request.user.is_agency_staff},
    )


@require_GET
def case_threads(request, pk):
    case = get_discussion_case_or_404(request.user, pk)
    return render_case_threads(request, case)


def render_case_threads(request, case, *, thread_form=None, status=200):
    context = {"case": case} | case_threads_context(request.user, case, thread_form=thread_form)
    return render(request, "discussions/case_threads.html", context, status=status)


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads
# the body, so the inner view runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def thread_start(request, pk):
    # Who may post is decided before a byte of the body is read.
    case = get_discussion_case_or_404(request.user, pk)
    handler = HashingUploadHandler(request, max_bytes=settings.DISCUSSION_ATTACHMENT_MAX_BYTES)
    request.upload_handlers = [handler]
    try:
        return _thread_start(request, case, handler)
    finally:
        handler.discard_all()


@csrf_protect
def _thread_start(request, case, handler):
    form = thread_form_for(request.user, case, request.POST, request.FILES)
    assert form is not None
    if handler.rejection is not None:
        form.add_error("attachments", handler.rejection.message)
    if form.is_valid():
        data = form.cleaned_data
        organization = data.get("organization")
        try:
            thread = start_thread(
                actor=request.user,
                case_id=case.pk,
                subject=data["subject"],
                marking=data["marking"],
                body=data["body"],
                organization_id=organization.pk if organization else None,
                attachments=[(upload, upload.original_name) for upload in data["attachments"]],
            )
        except (DiscussionRefused, UploadRejected) as refusal:
            form.add_error(None, refusal.message)
        except ValidationError as invalid:
            form.add_error(None, invalid.messages)
        else:
            messages.success(request, f"Thread started ({thread.audience()}).")
            return redirect(thread_url(thread))
    return render_case_threads(request, case, thread_form=form, status=400)


@require_GET
def thread_detail(request, pk):
    thread = get_thread_or_404(request.user, pk)
    return render_thread(request, thread)


def render_thread(request, thread, *, reply_form=None, status=200):
    thread_messages = list(messages_of(thread))
    if status == 200:
        mark_read(reader=request.user, thread=thread)
    return render(
        request,
        "discussions/thread.html",
        {
            "thread": thread,
            "case": thread.case,
            "thread_messages": thread_messages,
            "reply_form": reply_form or MessageForm(prefix="reply"),
            "for_government": request.user.is_agency_staff,
        },
        status=status,
    )


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _message_post runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def message_post(request, pk):
    thread = get_thread_or_404(request.user, pk)
    handler = HashingUploadHandler(request, max_bytes=settings.DISCUSSION_ATTACHMENT_MAX_BYTES)
    request.upload_handlers = [handler]
    try:
        return _message_post(request, thread, handler)
    finally:
        handler.discard_all()


@csrf_protect
def _message_post(request, thread, handler):
    form = MessageForm(request.POST, request.FILES, prefix="reply")
    if handler.rejection is not None:
        form.add_error("attachments", handler.rejection.message)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message = post_message(
                actor=request.user,
                thread_id=thread.pk,
                body=data["body"],
                attachments=[(upload, upload.original_name) for upload in data["attachments"]],
            )
        except (DiscussionRefused, UploadRejected) as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Message sent.")
            return redirect(f"{thread_url(thread)}#message-{message.pk}")
    return render_thread(request, thread, reply_form=form, status=400)


@require_safe
@download_view
def attachment_download(request, pk, attachment_id):
    thread = get_thread_or_404(request.user, pk)
    attachment = MessageAttachment.objects.filter(pk=attachment_id, message__thread=thread).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return serve(request, attachment, through=thread, case_id=thread.case_id)

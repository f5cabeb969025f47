"""The one serve path: every byte a person downloads, and one record of every request.

A download view is marked with ``@download_view`` and finds its object
through its own access helper, which answers 404 alike for missing and not
yours (or 403 for a page of another role). Then it answers through this module
only:

- ``serve(request, stored_file, ...)`` — a ``StoredFile``, by
  ``DOWNLOAD_BACKEND`` (``portal.files.serve``), with HEAD, Range and If-Range;
- ``serve_generated(request, text, ...)`` — generated text (SHA256SUMS, a CSV
  export) under the same headers and rules;
- ``record_denied(request, outcome, ...)`` — a refusal the view answers itself
  (terms not accepted, a revoked grant), with what it knows of the request.

Each writes one ``Download`` and one audit event (``_record``, the only writer).
``download_view`` records what the view did not: the 404 or 403 of an access
helper, raised or returned. So every GET or HEAD that reaches a download view
leaves exactly one record, allowed or denied; answering a GET or HEAD with
bytes any other way is a programming error, refused loudly. Requests that
never reach the view (a sign-in redirect, an API 401, a 405) are no downloads.
"""

from functools import wraps

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse

from portal.audit import events as audit
from portal.core.network import client_ip
from portal.files.models import Download, StoredFile
from portal.files.serve import file_response, text_response

Outcome = Download.Outcome
DOWNLOAD_METHODS = ("GET", "HEAD")
_RECORD = "_portal_download"


def serve(
    request, stored_file: StoredFile, *, through, case_id: int | None, filename: str = ""
) -> HttpResponse | FileResponse:
    """Send a stored file the view's access check allowed, and record the request.

    ``through`` is the object whose access check let the person in (the case,
    the finding, the request, the report, the grant); ``filename`` the name to
    save it under, the uploaded name by default.
    """
    filename = filename or stored_file.original_name
    response = file_response(
        request,
        stored_file.file,
        filename=filename,
        size=stored_file.size,
        sha256=stored_file.sha256,
    )
    _record_served(
        request, response, stored_file=stored_file, through=through, case_id=case_id, name=filename
    )
    return response


def serve_generated(
    request,
    text: str,
    *,
    filename: str,
    through=None,
    case_id: int | None = None,
    content_type: str = "text/plain; charset=utf-8",
) -> HttpResponse:
    """Send generated text as a file (SHA256SUMS, an export), and record the request."""
    response = text_response(
        request, text.encode("utf-8"), filename=filename, content_type=content_type
    )
    _record_served(
        request, response, stored_file=None, through=through, case_id=case_id, name=filename
    )
    return response


def record_denied(
    request,
    outcome: str,
    *,
    through=None,
    stored_file: StoredFile | None = None,
    case_id: int | None = None,
    name: str = "",
) -> Download:
    """Record a refusal the view answers itself; say why with a ``DENIED_*`` outcome."""
    if outcome in Download.SERVED:
        raise ValueError(f"{outcome} is not a refusal.")
    return _record(
        request,
        outcome=outcome,
        stored_file=stored_file,
        through=through,
        case_id=case_id,
        name=name or getattr(stored_file, "original_name", ""),
    )


def download_view(view):
    """Mark a view as a download view and record the refusals it does not record itself."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in DOWNLOAD_METHODS:
            return view(request, *args, **kwargs)  # the view answers 405: no download
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            _record_refusal(request, Outcome.DENIED_NOT_FOUND)
            raise
        except PermissionDenied:
            _record_refusal(request, Outcome.DENIED_ROLE)
            raise
        if getattr(request, _RECORD, None) is None:
            if response.status_code < 400:
                raise RuntimeError(
                    f"{request.path} answered {response.status_code} without "
                    "portal.files.downloads.serve: every download goes through it."
                )
            _record_refusal(
                request,
                Outcome.DENIED_ROLE if response.status_code == 403 else Outcome.DENIED_NOT_FOUND,
            )
        return response

    wrapper.serves_download = True
    return wrapper


def _record_refusal(request, outcome: str) -> None:
    if getattr(request, _RECORD, None) is None:
        _record(request, outcome=outcome)


def _record_served(request, response, *, stored_file, through, case_id, name) -> Download:
    if response.status_code == 416:
        outcome = Outcome.UNSATISFIABLE
    elif request.method == "HEAD":
        outcome = Outcome.HEAD
    else:
        outcome = Outcome.PARTIAL if response.status_code == 206 else Outcome.ALLOWED
    sent = 0 if request.method == "HEAD" else int(response.get("Content-Length") or 0)
    return _record(
        request,
        outcome=outcome,
        stored_file=stored_file,
        through=through,
        case_id=case_id,
        name=name,
        bytes_sent=sent,
    )


def _action(outcome: str) -> str:
    if outcome == Outcome.UNSATISFIABLE:
        return "download.range_not_satisfiable"
    return "download.allowed" if outcome in Download.SERVED else "download.denied"


def _label(content_type, object_id) -> str | None:
    return f"{content_type.app_label}.{content_type.model} {object_id}" if content_type else None


def _type_of(obj):
    return ContentType.objects.get_for_model(obj) if obj is not None else None


def _record(
    request,
    *,
    outcome: str,
    stored_file=None,
    through=None,
    case_id: int | None = None,
    name: str = "",
    bytes_sent: int = 0,
) -> Download:
    """The one writer of download records: a ``Download`` and its audit event."""
    if getattr(request, _RECORD, None) is not None:
        raise RuntimeError(f"{request.path} was recorded twice: one request, one record.")
    user = request.user if request.user.is_authenticated else None
    token = getattr(request, "access_token", None)
    download = Download.objects.create(
        user=user,
        token_prefix=token.prefix if token else "",
        outcome=outcome,
        path=request.path[:500],
        name=name[:255],
        case_id=case_id,
        file_type=_type_of(stored_file),
        file_id=getattr(stored_file, "pk", None),
        through_type=_type_of(through),
        through_id=getattr(through, "pk", None),
        range=request.headers.get("Range", "")[:100],
        bytes_sent=bytes_sent,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
    )
    setattr(request, _RECORD, download)
    audit.record(
        _action(outcome),
        actor=user,
        target=stored_file if stored_file is not None else through,
        request=request,
        details={
            "download": download.pk,
            "outcome": outcome,
            "name": download.name,
            "path": download.path,
            "case": case_id,
            "through": _label(download.through_type, download.through_id),
            "range": download.range,
            "bytes": bytes_sent,
            "token": download.token_prefix,
        },
    )
    return download

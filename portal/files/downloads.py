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

Each writes one ``Download`` and one audit event (``_record``, the only writer
of new records); a file the app sends itself completes its record when the
response closes, with the bytes actually sent (``_record_delivery``).
``download_view`` records what the view did not: the 404 or 403 of an access
helper, raised or returned. So every GET or HEAD that reaches a download view
leaves exactly one record, allowed or denied; answering a GET or HEAD with
bytes any other way is a programming error, refused loudly. Requests that
never reach the view (a sign-in redirect, an API 401, a 405) are no downloads.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

from portal.audit import events as audit
from portal.core.network import client_ip
from portal.files import pace
from portal.files.models import Download, StoredFile
from portal.files.serve import file_response, text_response

Outcome = Download.Outcome
Delivery = Download.Delivery
DOWNLOAD_METHODS = ("GET", "HEAD")
_RECORD = "_portal_download"


def serve(
    request,
    stored_file: StoredFile,
    *,
    through,
    case_id: int | None,
    filename: str = "",
    still_open: Callable[[], bool] | None = None,
) -> HttpResponse | FileResponse:
    """Send a stored file the view's access check allowed, and record the request.

    ``through`` is the object whose access check let the person in (the case,
    the finding, the request, the report, the grant); ``filename`` the name to
    save it under, the uploaded name by default. ``still_open``, when given, is
    asked again while the bytes are sent (a grant: still live?); when it says
    no the transfer stops, mid-response included.

    The record is written before the first byte leaves, and completed when the
    response closes with the bytes actually sent (``_record_delivery``).
    """
    filename = filename or stored_file.original_name
    record: list[Download] = []
    response = file_response(
        request,
        stored_file.file,
        filename=filename,
        size=stored_file.size,
        sha256=stored_file.sha256,
        still_open=still_open,
        on_close=lambda body: _record_delivery(request, record[0], body),
        # The client's speed on this grant: x-accel hands nginx what it sends in time.
        pace_key=pace.pace_key(request.user.pk, f"{through._meta.label_lower}:{through.pk}")
        if still_open is not None
        else None,
    )
    record.append(
        _record_served(
            request,
            response,
            stored_file=stored_file,
            through=through,
            case_id=case_id,
            name=filename,
        )
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
    sends = outcome in (Outcome.ALLOWED, Outcome.PARTIAL) and request.method == "GET"
    promised = int(getattr(response, "download_length", 0) or response.get("Content-Length") or 0)
    promised = promised if sends else 0
    whole = getattr(response, "download_whole", response.status_code == 200)
    if not sends:
        delivery, sent = "", 0  # nothing to send, and nothing sent
    elif isinstance(response, FileResponse):
        delivery, sent = Delivery.SENDING, None  # counted as it goes; see _record_delivery
    elif isinstance(response, HttpResponseRedirect) or "X-Accel-Redirect" in response:
        # nginx or the store sends the bytes: only what was asked is known here
        # (nginx's count comes later, from its log: ingest_nginx_downloads).
        delivery, sent = Delivery.REQUESTED, None
    else:
        delivery, sent = Delivery.COMPLETE, promised  # generated text, sent from memory
    return _record(
        request,
        outcome=outcome,
        stored_file=stored_file,
        through=through,
        case_id=case_id,
        name=name,
        bytes_requested=promised,
        bytes_sent=sent,
        whole_file=sends and whole,
        delivery=delivery,
    )


def _record_delivery(request, download: Download, body) -> None:
    """How the transfer of an allowed download ended: the bytes sent, and why it stopped.

    Called once when the server closes the response. Access that closed
    mid-transfer is also an audit event: the bytes stopped, and when.
    """
    if body.complete:
        delivery = Delivery.COMPLETE
    elif body.stopped:
        delivery = Delivery.STOPPED
    else:
        delivery = Delivery.INTERRUPTED
    Download.objects.filter(pk=download.pk).update(bytes_sent=body.sent, delivery=delivery)
    download.bytes_sent, download.delivery = body.sent, delivery
    if delivery == Delivery.STOPPED:
        audit.record(
            "download.stopped",
            actor=download.user,
            target=download.stored_file or download.through,
            request=request,
            details={
                "download": download.pk,
                "why": "access closed during the transfer",
                "bytes_sent": body.sent,
                "bytes_requested": download.bytes_requested,
            },
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
    bytes_requested: int = 0,
    bytes_sent: int | None = 0,
    whole_file: bool = False,
    delivery: str = "",
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
        whole_file=whole_file,
        bytes_requested=bytes_requested,
        bytes_sent=bytes_sent,
        delivery=delivery,
        request_id=request.headers.get("X-Request-Id", "")[:64],
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
            "bytes_requested": bytes_requested,
            "token": download.token_prefix,
        },
    )
    return download


NGINX_BATCH = 1000


def record_nginx_deliveries(lines: Iterable[str]) -> int:
    """Turn "requested" records into bytes sent, from nginx's download log.

    nginx sends the bytes of an X-Accel download; its ``portal_download`` log
    (``deploy/nginx.conf``) has one line per response: ``$request_id $status
    $body_bytes_sent "$request_completion"`` (``"OK"`` when nginx sent it
    all). A record with that request id, still "requested", takes the bytes
    and ends complete (``OK`` and every promised byte) or interrupted. Lines
    that match nothing (another server's, a record read before) are skipped,
    so reading the same log twice changes nothing.
    Returns how many records it completed.
    """
    completed = 0
    batch: dict[str, tuple[int, bool]] = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or not parts[2].isdigit():
            continue
        request_id, _status, sent, completion = parts
        batch[request_id[:64]] = (int(sent), completion == '"OK"')
        if len(batch) >= NGINX_BATCH:
            completed += _complete_from_nginx(batch)
            batch = {}
    return completed + _complete_from_nginx(batch)


def _complete_from_nginx(batch: dict[str, tuple[int, bool]]) -> int:
    if not batch:
        return 0
    completed = 0
    waiting = Download.objects.filter(request_id__in=batch, delivery=Delivery.REQUESTED)
    for download in waiting.only("pk", "request_id", "bytes_requested"):
        sent, finished = batch[download.request_id]
        whole = finished and sent == download.bytes_requested
        completed += Download.objects.filter(pk=download.pk, delivery=Delivery.REQUESTED).update(
            bytes_sent=sent, delivery=Delivery.COMPLETE if whole else Delivery.INTERRUPTED
        )
    return completed

"""Errors in the shape the client reads: JSON under ``/api/``, a short page elsewhere.

``ApiErrorsAsJsonMiddleware`` (first in MIDDLEWARE, so it sees every answer)
turns any error answer under ``/api/`` that is not JSON — a 405 from a
decorator, a CSRF refusal, an error page — into ``{"error": ...}`` with the
same status and headers. ``portal.core.views`` holds the handlers themselves.

``DatabaseOutageLogFilter`` sits on the ``django.request`` logger: while the
database is down every request fails the same way, so it lets one line per
kind of failure through each minute, without the traceback, instead of a
traceback per request.
"""

import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 30
OUTAGE_LOG_SECONDS = 60


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_json(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def database_unreachable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not response.streaming
        ):
            json_response = api_error_json(response.reason_phrase, response.status_code)
            for header, value in response.items():
                if header.lower() not in ("content-type", "content-length"):
                    json_response[header] = value
            json_response.cookies = response.cookies
            return json_response
        return response


class DatabaseOutageLogFilter(logging.Filter):
    """One line per failure type per minute while the database is unreachable."""

    def __init__(self, name: str = "", seconds: float = OUTAGE_LOG_SECONDS):
        super().__init__(name)
        self.seconds = seconds
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not database_unreachable(error):
            return True
        kind = type(error).__name__
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self.seconds:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        first_line = (str(error).strip().splitlines() or [""])[0]
        record.msg = "Database unreachable (%s: %s); %d more like it in the last %ds"
        record.args = (kind, first_line, suppressed, int(self.seconds))
        record.exc_info = None
        record.exc_text = None
        return True

"""The log format of every process: UTC timestamps that carry their offset.

``2026-12-01T10:31:42.123+00:00 INFO portal.files.tasks Storage check: …`` —
the same in Django, Celery and gunicorn, so lines from several machines sort
and compare without knowing where they were written.
"""

import logging
from datetime import UTC, datetime

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATTER = {"()": "portal.core.logs.UtcFormatter", "format": LOG_FORMAT}


class UtcFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds")


def logging_config(level: str) -> dict:
    """``settings.LOGGING``: one console handler in this format, and the outage filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": FORMATTER},
        "filters": {"database_outage": {"()": "portal.core.errors.DatabaseOutageLogFilter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-axes logs every sign-in at INFO; its lockouts (WARNING) still show,
            # and the audit log records every attempt.
            "axes": {"level": "WARNING"},
            # While the database is down: one line per kind of failure a minute.
            "django.request": {"filters": ["database_outage"]},
        },
    }

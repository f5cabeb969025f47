"""Tiny helpers that read settings from the environment and fail loudly.

Every helper names the variable in its error, so a typo in a deployment stops
start-up with a message an operator can act on instead of a vague traceback.
"""

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set: {why}")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_database_url(name: str, url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/db?sslmode=require`` into a DATABASES entry.

    Only PostgreSQL and SQLite are supported: the portal relies on PostgreSQL
    features (triggers, row locks) in production and SQLite for local use.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name} must name a database: {_redacted(parts)}")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port: {_redacted(parts)}") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            # No JIT unless the URL asks (``?options=...``): the planner's estimates
            # over the permission subqueries cross its threshold on ordinary pages,
            # and compiling took longer than running the query (docs/benchmarks.md).
            "OPTIONS": {"options": "-c jit=off", **dict(parse_qsl(parts.query))},
        }
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc:
            path = parts.netloc + path
        if not path.strip("/"):
            raise ImproperlyConfigured(
                f"{name} must name a file, e.g. sqlite:///srv/portal/portal.sqlite3"
            )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # As for the default database: the write lock is taken at BEGIN.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    raise ImproperlyConfigured(
        f"{name} must start with postgres:// or sqlite://, not {scheme or 'nothing'}://"
    )


def check_redis_url(name: str, url: str) -> str:
    """The URL serves both the cache and Celery, so only schemes both understand pass.

    (Django's cache would take ``unix://``, but Celery's broker would not.)
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            f"{name} must start with redis:// or rediss://, not {_redacted(parts)}"
        )
    return url


def _redacted(parts) -> str:
    """The URL with its password hidden, for error messages."""
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()

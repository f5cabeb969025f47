"""Settings for the Frontier Review Portal, read from environment variables.

Defaults serve local use: SQLite and local file storage when DATABASE_URL is
unset, and a Celery setup that needs no server (kombu's filesystem transport)
when REDIS_URL is unset. The README's configuration table lists every variable.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.core import logs
from portal.env import (
    check_redis_url,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Absolute, so that the Celery file:// URLs below stay valid from any directory.
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var").resolve()

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY") or "insecure-local-development-key-never-use-in-production"
else:
    SECRET_KEY = env_required(
        "SECRET_KEY", "it signs sessions and tokens; set DEBUG=true for local use"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin site asks for a verified second factor (portal.accounts.admin_site).
    "portal.accounts.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Search's GIN indexes (GinIndex needs the app); harmless on SQLite.
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Passkeys (WebAuthn credentials) as django-otp devices.
    "django_otp_webauthn",
    "axes",
    "guardian",
    "django_filters",
    # The portal's own apps, lowest layer first (docs/architecture.md).
    "portal.core",
    "portal.accounts",
    "portal.audit",
    "portal.files",
    "portal.notifications",
    "portal.cases",
    "portal.capability",
    "portal.discussions",
    "reviews",
    "access",
]

MIDDLEWARE = [
    # First, so that it sees every answer: errors under /api/ are JSON.
    "portal.core.errors.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (SECURE_CSP below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.mfa.VerifiedDeviceMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits, then the two-step sign-in gate.
    "portal.accounts.session_policy.SessionPolicyMiddleware",
    "portal.accounts.mfa.MfaEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.audit.events.AuditContextMiddleware",
    # Last, as django-axes asks: turns a lockout into the sign-in page's own answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.accounts.context_processors.navigation",
            ],
        },
    },
]

# Django's form renderer, with <select> and <input> written in Python: the same
# markup, without an include per option (portal/form_renderer.py).
FORM_RENDERER = "portal.core.form_renderer.PortalFormRenderer"

# Database: PostgreSQL in production, SQLite by default. SQLite takes its write
# lock at BEGIN (IMMEDIATE) so that read-then-write sequences such as the audit
# chain are serialized instead of failing with "database is locked".
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": parse_database_url("DATABASE_URL", DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every task is time-limited: the soft limit raises inside the task, the hard
# limit kills the worker process running it.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT "
        f"({CELERY_TASK_SOFT_TIME_LIMIT} >= {CELERY_TASK_TIME_LIMIT})"
    )

# Redis: Celery's broker and result store, and the cache. Without it the cache
# is per process, the "limits" cache is files under VAR_DIR, and Celery passes
# messages through files under VAR_DIR.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    check_redis_url("REDIS_URL", REDIS_URL)
    CACHES = {
        "default": {
            "BACKEND": "portal.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        },
        # Counters that must hold across processes (portal.accounts.recovery).
        "limits": {
            "BACKEND": "portal.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal-limits",
        },
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Longer than any task's hard time limit, so a slow task is never
    # redelivered to a second worker while the first still runs it.
    visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
    if visibility_timeout <= CELERY_TASK_TIME_LIMIT:
        raise ImproperlyConfigured(
            "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT "
            f"({visibility_timeout} <= {CELERY_TASK_TIME_LIMIT})"
        )
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": visibility_timeout}
    del visibility_timeout
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Counters that must hold across processes (portal.accounts.recovery): files
        # every process of this installation shares, under VAR_DIR.
        "limits": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "limits"),
        },
    }
    CELERY_QUEUE_DIR = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        # Broadcast (remote-control) messages; by default kombu writes them to ./control.
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_QUEUE_DIR / 'results'}"

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The worker and beat log through LOGGING below (one format for every process),
# instead of replacing the root logger's handlers with Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A user action that queues work must answer quickly even when the broker is
# down: publishing gives up after about a second, the change stays committed,
# and the deadline sweep sends what was missed.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
# The audit log's signed checkpoints (portal.audit.checkpoints): an Ed25519 key
# kept outside the database signs the chain's head every AUDIT_CHECKPOINT_SECONDS;
# each signed head is appended to AUDIT_CHECKPOINT_FILE and, when set, mailed to
# AUDIT_CHECKPOINT_EMAIL. Outside DEBUG the key file must be named; `make run`
# creates a demo key under VAR_DIR.
if DEBUG:
    AUDIT_SIGNING_KEY_FILE = Path(
        env_str("AUDIT_SIGNING_KEY_FILE") or VAR_DIR / "audit-signing-key.pem"
    )
else:
    AUDIT_SIGNING_KEY_FILE = Path(
        env_required(
            "AUDIT_SIGNING_KEY_FILE",
            "an Ed25519 key signs the audit log's checkpoints; create one with "
            "`manage.py audit_key --create` (README: Audit log), or set DEBUG=true for local use",
        )
    )
# The signed manifests of model snapshots (portal.files.manifests, model.sig):
# an elliptic-curve key (P-256) the OpenSSF model-signing format signs with; its
# public half is published at /.well-known/frontier-review/manifest-signing-key.pem.
# Outside DEBUG the key file must be named; `make run` creates a demo key under VAR_DIR.
if DEBUG:
    MANIFEST_SIGNING_KEY_FILE = Path(
        env_str("MANIFEST_SIGNING_KEY_FILE") or VAR_DIR / "manifest-signing-key.pem"
    )
else:
    MANIFEST_SIGNING_KEY_FILE = Path(
        env_required(
            "MANIFEST_SIGNING_KEY_FILE",
            "a P-256 key signs the manifests of model snapshots (model.sig); create one with "
            "`manage.py manifest_key --create` (README: Downloads), "
            "or set DEBUG=true for local use",
        )
    )
AUDIT_CHECKPOINT_FILE = Path(
    env_str("AUDIT_CHECKPOINT_FILE") or VAR_DIR / "audit-checkpoints.jsonl"
)
AUDIT_CHECKPOINT_EMAIL = env_list("AUDIT_CHECKPOINT_EMAIL", [])
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 3600, minimum=10)

CELERY_BEAT_SCHEDULE = {
    "deadline-sweep": {
        "task": "portal.deadline_sweep",
        "schedule": env_int("DEADLINE_SWEEP_SECONDS", 15 * 60, minimum=10),
    },
    "grant-expiry": {
        "task": "access.expire_grants",
        "schedule": env_int("GRANT_EXPIRY_SECONDS", 15 * 60, minimum=10),
    },
    "upload-expiry": {
        "task": "portal.expire_uploads",
        "schedule": env_int("UPLOAD_SWEEP_SECONDS", 15 * 60, minimum=10),
    },
    "audit-checkpoint": {
        "task": "portal.audit_checkpoint",
        "schedule": AUDIT_CHECKPOINT_SECONDS,
    },
    "email-outbox": {
        "task": "portal.flush_email_outbox",
        "schedule": env_int("EMAIL_OUTBOX_SECONDS", 60, minimum=10),
    },
    "storage-check": {
        "task": "portal.storage_check",
        "schedule": crontab(
            hour=env_int("STORAGE_CHECK_HOUR_UTC", 3, minimum=0, maximum=23), minute=30
        ),
    },
    "daily-digest": {
        "task": "portal.send_daily_digests",
        "schedule": crontab(hour=env_int("DIGEST_HOUR_UTC", 11, minimum=0, maximum=23), minute=0),
    },
    # Weekly; each person's digest is claimed once per ISO week, so a rerun sends nothing.
    "capability-digest": {
        "task": "portal.capability_digest",
        "schedule": crontab(
            day_of_week=env_int("CAPABILITY_DIGEST_WEEKDAY", 1, minimum=0, maximum=6),
            hour=env_int("DIGEST_HOUR_UTC", 11, minimum=0, maximum=23),
            minute=30,
        ),
    },
}
# Whose coordinators get the weekly capability digest (agency acronyms).

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt that is locked out (after running the hasher,
    # so that a refusal takes as long as a wrong password).
    "portal.accounts.lockout.SignInThrottleBackend",
    "portal.accounts.backends.MembershipBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# guardian's anonymous user is not needed: nothing in the portal is public.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Two-step sign-in (TOTP, single-use recovery codes). Agency staff and platform
# admins must have it when MFA_ENFORCED; anyone may turn it on.
MFA_ENFORCED = env_bool("MFA_ENFORCED", True)
OTP_TOTP_ISSUER = "Frontier Review Portal"
# Seconds between the password and the code before the sign-in starts over.
MFA_PENDING_SECONDS = 300

# Phishing-resistant second factor (passkeys, WebAuthn; OMB M-22-09): the roles
# listed must sign in with a passkey ("agency": coordinators and reviewers;
# "admin": platform admins); codes from an authenticator app are refused for
# them. Unlisted agency staff and admins may add passkeys and keep their app.
MFA_PHISHING_RESISTANT_ROLES = env_list("MFA_PHISHING_RESISTANT_ROLES", [])
if unknown_roles := set(MFA_PHISHING_RESISTANT_ROLES) - {"agency", "admin"}:
    raise ImproperlyConfigured(
        "MFA_PHISHING_RESISTANT_ROLES takes agency and admin (comma-separated), not "
        + ", ".join(sorted(unknown_roles))
    )
# The relying party: passkeys are bound to WEBAUTHN_RP_ID (a host name, by default
# SITE_URL's) and accepted only from WEBAUTHN_ORIGINS (by default SITE_URL's origin).
# Changing the RP ID later orphans every passkey registered under the old one.
_site = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID") or _site.hostname or "localhost"
if not any(
    host == "*" or host.lstrip(".") == OTP_WEBAUTHN_RP_ID or host.endswith("." + OTP_WEBAUTHN_RP_ID)
    for host in ALLOWED_HOSTS
):
    raise ImproperlyConfigured(
        f"WEBAUTHN_RP_ID {OTP_WEBAUTHN_RP_ID!r} must be one of ALLOWED_HOSTS or a domain "
        "one of them is under: passkeys are bound to it"
    )
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("WEBAUTHN_ORIGINS", [f"{_site.scheme}://{_site.netloc}"])
OTP_WEBAUTHN_RP_NAME = "Frontier Review Portal"
# Passkeys are a second step after the password, never a way around it.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# Sign-in throttling (django-axes, portal.accounts.lockout), for
# SIGN_IN_LOCKOUT_MINUTES: a username from one address after SIGN_IN_FAILURE_LIMIT
# failures; a username from every address after SIGN_IN_USERNAME_FAILURE_LIMIT;
# an address for every username only if SIGN_IN_ADDRESS_FAILURE_LIMIT is set.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
SIGN_IN_USERNAME_FAILURE_LIMIT = env_int("SIGN_IN_USERNAME_FAILURE_LIMIT", 20, minimum=1)
if SIGN_IN_USERNAME_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "SIGN_IN_USERNAME_FAILURE_LIMIT must be at least SIGN_IN_FAILURE_LIMIT "
        f"({SIGN_IN_USERNAME_FAILURE_LIMIT} < {AXES_FAILURE_LIMIT})"
    )
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int("SIGN_IN_ADDRESS_FAILURE_LIMIT", 0, minimum=0)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_HANDLER = "portal.accounts.lockout.SignInLockoutHandler"
# What axes' own helpers filter on; the handler above keeps the limits.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_CLIENT_IP_CALLABLE = "portal.core.network.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.accounts.views.signin.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Proxies (addresses or networks) whose X-Forwarded-For is believed. Empty: the
# peer's own address is the client's, and X-Forwarded-For is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list IP addresses or networks, not {_proxy!r}"
        ) from None

# Sessions end after a time without activity and after an absolute lifetime,
# shorter for agency staff and platform admins; sensitive actions need a
# sign-in or confirmation within REAUTH_SECONDS. A sensitive form sent too late
# is kept on the server and done after the confirmation, if that comes within
# KEPT_ACTION_SECONDS of sending it.
SESSION_IDLE_SECONDS_PRIVILEGED = env_int("SESSION_IDLE_SECONDS_PRIVILEGED", 15 * 60, minimum=60)
SESSION_MAX_SECONDS_PRIVILEGED = env_int("SESSION_MAX_SECONDS_PRIVILEGED", 12 * 3600, minimum=60)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 3600, minimum=60)
SESSION_MAX_SECONDS = env_int("SESSION_MAX_SECONDS", 24 * 3600, minimum=60)
REAUTH_SECONDS = env_int("REAUTH_SECONDS", 15 * 60, minimum=60)
KEPT_ACTION_SECONDS = env_int("KEPT_ACTION_SECONDS", 5 * 60, minimum=30)
# Agency staff and platform admins create a token only within this many seconds
# of confirming with their password and second factor.
TOKEN_REAUTH_SECONDS_PRIVILEGED = env_int("TOKEN_REAUTH_SECONDS_PRIVILEGED", 5 * 60, minimum=30)

# A password-reset link works for PASSWORD_RESET_TIMEOUT seconds (3 days);
# reset emails are limited to PASSWORD_RESET_PER_HOUR per address and per account.
# An invitation to set a first password works for INVITATION_DAYS, a link
# confirming a new email address for EMAIL_CHANGE_HOURS.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=300)
PASSWORD_RESET_PER_HOUR = env_int("PASSWORD_RESET_PER_HOUR", 3, minimum=1)
INVITATION_DAYS = env_int("INVITATION_DAYS", 3, minimum=1)
EMAIL_CHANGE_HOURS = env_int("EMAIL_CHANGE_HOURS", 24, minimum=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE") or "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The U.S. Web Design System, installed from npm by `make uswds`; never committed.
    ("uswds", BASE_DIR / "node_modules" / "@uswds" / "uswds" / "dist"),
    # tus-js-client, the browser's resumable uploads; also from npm (`make uswds`).
    ("tus", BASE_DIR / "node_modules" / "tus-js-client" / "dist"),
]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Artifacts on local disk (default; MEDIA_ROOT) or on S3-compatible storage.
# With s3, MEDIA_ROOT still holds uploads while they stream in and are hashed.
STORAGE_BACKEND = env_str("STORAGE_BACKEND") or "local"
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = {
        "BACKEND": "portal.files.storage.ArtifactS3Storage",
        "OPTIONS": {
            "bucket_name": env_required("AWS_STORAGE_BUCKET_NAME", "STORAGE_BACKEND is s3"),
            # Unset for AWS itself; the address of MinIO, Ceph, moto, … otherwise.
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            # Unset: boto3 finds credentials itself (instance role, ~/.aws, …).
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            # Presigned download URLs are short-lived: the portal checks every
            # request, so a leaked URL must stop working within a minute.
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 60, minimum=1, maximum=60),
        },
    }
elif STORAGE_BACKEND != "local":
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, not {STORAGE_BACKEND!r}")

# Uploads: a temporary upload untouched, or a stored file with no row, for
# STORAGE_TEMP_GRACE_HOURS was left by a process that died; the daily storage
# check (manage.py storage_check) removes it. Keep it longer than any upload takes.
STORAGE_TEMP_GRACE_HOURS = env_int("STORAGE_TEMP_GRACE_HOURS", 24, minimum=0)
# Fault injection for the tests that kill a worker in the middle of an upload
# (tests/deploy/test_upload_crashes.py): the process exits at this named point.
# Never set it anywhere else.
UPLOAD_CRASH_POINT = env_str("UPLOAD_CRASH_POINT") or ""

# Email: SMTP when EMAIL_HOST is set, otherwise printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587, minimum=1),
                "username": env_str("EMAIL_HOST_USER") or "",
                "password": env_str("EMAIL_HOST_PASSWORD") or "",
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 30,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
del EMAIL_HOST
# The email outbox (portal.notifications.delivery): a claim books an email for
# this long; only a worker that died holds one longer than an SMTP conversation.
EMAIL_CLAIM_SECONDS = env_int("EMAIL_CLAIM_SECONDS", 300, minimum=60)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Frontier Review Portal <noreply@localhost>"

# Cookies and headers. Cookies are Secure unless DEBUG is on (local http);
# `manage.py check --deploy --fail-level WARNING` passes with the production
# environment the README lists.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a link in a notification email must arrive signed in. Every
# change is a POST, which Lax never sends cross-site, and the CSRF check guards it.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Sessions live in the database; with Redis, read through the cache (portal.accounts.sessions).
SESSION_ENGINE = "portal.accounts.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 24 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Load balancers probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS is on by default outside DEBUG: the portal is only ever served over
# HTTPS, and a first visit over http is how a network attacker strips TLS.
# Preload is a commitment to the browsers' lists that is slow to undo, so it
# is opt-in.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy: scripts only from our own static files, each <script>
# tag carrying the request's nonce; no inline script, style or event handler
# anywhere; nothing may frame the portal, and forms post only to it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# The portal's own rules.
REVIEW_NOTICE_DAYS = env_int("REVIEW_NOTICE_DAYS", 90, minimum=1)
# Acronyms of the agencies every submitted case is routed to.
DEFAULT_ROUTING_AGENCIES = env_list("DEFAULT_ROUTING_AGENCIES", ["CAISI"])
# How downloads are sent: sendfile (the WSGI server's file wrapper), x-accel
# (nginx X-Accel-Redirect to DOWNLOAD_ACCEL_PREFIX), or redirect (the storage's
# short-lived signed URL, for S3-compatible storage).
DOWNLOAD_BACKEND = env_str("DOWNLOAD_BACKEND") or "sendfile"
if DOWNLOAD_BACKEND not in {"sendfile", "x-accel", "redirect"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"DOWNLOAD_BACKEND must be sendfile, x-accel or redirect, not {DOWNLOAD_BACKEND!r}"
    )
DOWNLOAD_ACCEL_PREFIX = env_str("DOWNLOAD_ACCEL_PREFIX") or "/protected-artifacts/"
# How often a download the app sends checks that access is still open, in seconds, and the
# longest x-accel hands nginx at the client's proven speed (docs/transfers.md): a revoke, an
# expiry or a withdrawal stops every transfer of the grant within 30 s (DOWNLOAD_STOP_BOUND_
# SECONDS). A re-check interval of 0 turns the checks off: only the bench does that.
DOWNLOAD_RECHECK_SECONDS = env_int("DOWNLOAD_RECHECK_SECONDS", 10, minimum=0, maximum=25)
DOWNLOAD_ACCEL_SECONDS = env_int("DOWNLOAD_ACCEL_SECONDS", 10, minimum=1, maximum=25)
DOWNLOAD_STOP_BOUND_SECONDS = 30
# The largest artifact accepted, in bytes (default 200 GiB).
ARTIFACT_MAX_BYTES = env_int("ARTIFACT_MAX_BYTES", 200 * 1024**3, minimum=1)
# A file attached to a discussion message.
DISCUSSION_ATTACHMENT_MAX_BYTES = env_int(
    "DISCUSSION_ATTACHMENT_MAX_BYTES", 100 * 1024**2, minimum=1
)
# Resumable (tus) uploads: their partial files live here, outside MEDIA_ROOT,
# on the same file system as MEDIA_ROOT so that a finished upload is renamed
# into storage, not copied. An upload untouched for TUS_UPLOAD_EXPIRY_HOURS
# expires; the sweep (beat, `manage.py expire_uploads`) removes it.
UPLOADS_PARTIAL_DIR = Path(env_str("UPLOADS_PARTIAL_DIR") or VAR_DIR / "uploads-partial")
TUS_UPLOAD_EXPIRY_HOURS = env_int("TUS_UPLOAD_EXPIRY_HOURS", 24, minimum=1)
# The browser sends a tus upload in PATCHes of this size: the most a dropped
# connection or a pause costs (the server also keeps the part that arrived).
TUS_BROWSER_CHUNK_BYTES = env_int("TUS_BROWSER_CHUNK_BYTES", 16 * 1024**2, minimum=1024)
# Personal access tokens always expire: by default after TOKEN_DEFAULT_DAYS, at most 90.
TOKEN_MAX_DAYS = env_int("TOKEN_MAX_DAYS", 90, minimum=1, maximum=90)
TOKEN_DEFAULT_DAYS = env_int("TOKEN_DEFAULT_DAYS", 30, minimum=1, maximum=TOKEN_MAX_DAYS)

# One format for Django, Celery and gunicorn (deploy/gunicorn.conf.py uses this
# dictionary too): time in UTC with its offset, whatever TIME_ZONE shows people.
LOGGING = logs.logging_config(env_str("LOG_LEVEL") or "INFO")

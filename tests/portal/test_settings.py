"""Settings come from the environment and fail loudly, naming the variable.

The helpers are tested directly; the settings module itself is imported in a
fresh interpreter with a clean environment, because it reads the environment
once, at import.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    check_redis_url,
    env_bool,
    env_int,
    env_list,
    env_required,
    parse_database_url,
)
from tests.conftest import make_person

# --- the helpers -----------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_env_bool_reads_true_words(monkeypatch, raw):
    monkeypatch.setenv("FEATURE", raw)
    assert env_bool("FEATURE", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_env_bool_reads_false_words(monkeypatch, raw):
    monkeypatch.setenv("FEATURE", raw)
    assert env_bool("FEATURE", True) is False


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("FEATURE", raising=False)
    assert env_bool("FEATURE", True) is True
    assert env_bool("FEATURE", False) is False


def test_env_bool_refuses_other_words_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FEATURE", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"^FEATURE must be true or false .*'maybe'"):
        env_bool("FEATURE")


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.delenv("DAYS", raising=False)
    assert env_int("DAYS", 90) == 90
    monkeypatch.setenv("DAYS", " ")
    assert env_int("DAYS", 90) == 90
    monkeypatch.setenv("DAYS", " 30 ")
    assert env_int("DAYS", 90) == 30


def test_env_int_refuses_words_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DAYS", "abc")
    with pytest.raises(ImproperlyConfigured, match=r"^DAYS must be a whole number, not 'abc'"):
        env_int("DAYS", 90)


def test_env_int_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("DAYS", "0")
    with pytest.raises(ImproperlyConfigured, match=r"^DAYS must be at least 1, not 0"):
        env_int("DAYS", 90, minimum=1)
    monkeypatch.setenv("DAYS", "1")
    assert env_int("DAYS", 90, minimum=1) == 1


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,,")
    assert env_list("HOSTS", ["default"]) == ["a.example", "b.example"]
    monkeypatch.setenv("HOSTS", "")
    assert env_list("HOSTS", ["default"]) == []
    monkeypatch.delenv("HOSTS")
    default = ["default"]
    result = env_list("HOSTS", default)
    assert result == ["default"]
    assert result is not default  # a copy: settings may append to it safely


def test_env_required_names_the_variable_and_why(monkeypatch):
    monkeypatch.setenv("TOKEN", "  ")
    with pytest.raises(ImproperlyConfigured, match=r"^TOKEN must be set: it signs things$"):
        env_required("TOKEN", "it signs things")
    monkeypatch.setenv("TOKEN", " abc ")
    assert env_required("TOKEN", "it signs things") == "abc"


def test_postgres_url_with_user_password_port_and_options():
    entry = parse_database_url(
        "DATABASE_URL",
        "postgres://portal%40app:s%3Acret@db.example.test:6543/frontier%20review"
        "?sslmode=require&connect_timeout=5",
    )
    assert entry == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "frontier review",
        "USER": "portal@app",
        "PASSWORD": "s:cret",
        "HOST": "db.example.test",
        "PORT": "6543",
        "OPTIONS": {"options": "-c jit=off", "sslmode": "require", "connect_timeout": "5"},
    }


# (ids, not the bare schemes: a test id "postgres" would match the postgres marker.)
@pytest.mark.parametrize(
    "scheme", ["postgres", "postgresql", "pgsql", "POSTGRES"], ids=["pg", "pgql", "pgsql", "PG"]
)
def test_postgres_url_minimal(scheme):
    entry = parse_database_url("DATABASE_URL", f"{scheme}://localhost/portal")
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["NAME"], entry["HOST"], entry["PORT"]) == ("portal", "localhost", "")
    assert (entry["USER"], entry["PASSWORD"]) == ("", "")
    # No JIT: compiling cost more than running the portal's queries.
    assert entry["OPTIONS"] == {"options": "-c jit=off"}


def test_postgres_url_may_ask_for_its_own_server_options():
    entry = parse_database_url("DATABASE_URL", "postgres://localhost/portal?options=-c%20jit%3Don")
    assert entry["OPTIONS"] == {"options": "-c jit=on"}


def test_sqlite_url():
    entry = parse_database_url("DATABASE_URL", "sqlite:///srv/portal/portal.sqlite3")
    assert entry["ENGINE"] == "django.db.backends.sqlite3"
    assert entry["NAME"] == "/srv/portal/portal.sqlite3"
    assert entry["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///"])
def test_sqlite_url_without_a_file_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL must name a file"):
        parse_database_url("DATABASE_URL", url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [("mysql://u:p@host/db", "mysql://"), ("localhost/db", "nothing://")],
)
def test_other_databases_are_refused(url, shown):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_database_url("DATABASE_URL", url)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL must start with postgres:// or sqlite://")
    assert message.endswith(f"not {shown}")


def test_postgres_url_without_a_database_name_is_refused_with_the_password_hidden():
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_database_url("DATABASE_URL", "postgres://portal:hunter2secret@db:5432/")
    message = str(caught.value)
    assert message.startswith("DATABASE_URL must name a database")
    assert "hunter2secret" not in message
    assert "postgres://portal:***@db:5432/" in message


@pytest.mark.parametrize("port", ["54x2", "99999"])
def test_postgres_url_with_a_bad_port_is_refused_with_the_password_hidden(port):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_database_url("DATABASE_URL", f"postgres://portal:hunter2secret@db:{port}/portal")
    message = str(caught.value)
    assert message.startswith("DATABASE_URL has an invalid port")
    assert "hunter2secret" not in message
    assert f"portal:***@db:{port}/portal" in message


def test_redis_url_check():
    assert check_redis_url("REDIS_URL", "redis://cache:6379/0") == "redis://cache:6379/0"
    assert check_redis_url("REDIS_URL", "rediss://cache:6380/1") == "rediss://cache:6380/1"
    # Celery's broker cannot use unix://, though Django's cache could.
    for url in ["http://user:hunter2secret@cache:6379/0", "unix:///run/redis.sock"]:
        with pytest.raises(ImproperlyConfigured) as caught:
            check_redis_url("REDIS_URL", url)
        assert str(caught.value).startswith("REDIS_URL must start with redis://")
        assert "hunter2secret" not in str(caught.value)


# --- the settings module, imported in a fresh interpreter -------------------

READ_SETTINGS = """
import json, sys
import django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""
SECRET = "a-test-secret-key-used-only-in-this-subprocess"


def import_settings(tmp_path, names=(), **env):
    """Import portal.settings with only the given variables (and a private VAR_DIR)."""
    clean_env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(settings.BASE_DIR),
        # Required outside DEBUG; the settings only need it named.
        "AUDIT_SIGNING_KEY_FILE": str(settings.AUDIT_SIGNING_KEY_FILE),
        "MANIFEST_SIGNING_KEY_FILE": str(settings.MANIFEST_SIGNING_KEY_FILE),
        **env,
    }
    return subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", READ_SETTINGS, *names],
        cwd=tmp_path,
        env={k: v for k, v in clean_env.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(tmp_path, *names, **env) -> dict:
    result = import_settings(tmp_path, names, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refused(tmp_path, **env) -> str:
    result = import_settings(tmp_path, **env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    assert "SECRET_KEY must be set" in refused(tmp_path)
    assert "SECRET_KEY must be set" in refused(tmp_path, DEBUG="false", SECRET_KEY=" ")


def test_the_audit_signing_key_is_required_when_debug_is_off(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, AUDIT_SIGNING_KEY_FILE="")
    assert "AUDIT_SIGNING_KEY_FILE must be set" in stderr
    values = read_settings(
        tmp_path, "AUDIT_SIGNING_KEY_FILE", DEBUG="true", AUDIT_SIGNING_KEY_FILE=""
    )
    assert values["AUDIT_SIGNING_KEY_FILE"] == str(tmp_path / "var" / "audit-signing-key.pem")


def test_the_manifest_signing_key_is_required_when_debug_is_off(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, MANIFEST_SIGNING_KEY_FILE="")
    assert "MANIFEST_SIGNING_KEY_FILE must be set" in stderr
    values = read_settings(
        tmp_path, "MANIFEST_SIGNING_KEY_FILE", DEBUG="true", MANIFEST_SIGNING_KEY_FILE=""
    )
    assert values["MANIFEST_SIGNING_KEY_FILE"] == str(tmp_path / "var" / "manifest-signing-key.pem")


def test_debug_must_be_a_boolean(tmp_path):
    stderr = refused(tmp_path, DEBUG="maybe", SECRET_KEY=SECRET)
    assert "DEBUG must be true or false (1/0, yes/no, on/off), not 'maybe'" in stderr


def test_review_notice_days_must_be_a_number(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, REVIEW_NOTICE_DAYS="abc")
    assert "REVIEW_NOTICE_DAYS must be a whole number, not 'abc'" in stderr


def test_mysql_database_url_is_refused_without_showing_it(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, DATABASE_URL="mysql://u:hunter2secret@db/app")
    assert "DATABASE_URL must start with postgres:// or sqlite://, not mysql://" in stderr
    assert "hunter2secret" not in stderr


def test_http_redis_url_is_refused_with_the_password_hidden(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, REDIS_URL="http://u:hunter2secret@cache:6379/0")
    assert "REDIS_URL must start with redis:// or rediss://" in stderr
    assert "hunter2secret" not in stderr


def test_time_limits_must_leave_room(tmp_path):
    stderr = refused(tmp_path, SECRET_KEY=SECRET, CELERY_TASK_SOFT_TIME_LIMIT="400")
    assert "CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT" in stderr
    stderr = refused(
        tmp_path,
        SECRET_KEY=SECRET,
        REDIS_URL="redis://cache:6379/0",
        CELERY_VISIBILITY_TIMEOUT="300",
    )
    assert "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT" in stderr


def test_debug_on_needs_no_secret_key(tmp_path):
    values = read_settings(tmp_path, "DEBUG", "SECRET_KEY", DEBUG="true")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"]


def test_defaults_need_no_server(tmp_path):
    var = tmp_path / "var"
    values = read_settings(
        tmp_path,
        "DEBUG",
        "USE_TZ",
        "PASSWORD_HASHERS",
        "DATABASES",
        "CACHES",
        "CELERY_BROKER_URL",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
        "CELERY_RESULT_BACKEND",
        "SESSION_COOKIE_SECURE",
        SECRET_KEY=SECRET,
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["USE_TZ"] is True
    assert values["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(var / "portal.sqlite3")
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    options = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["data_folder_in"] == options["data_folder_out"] == str(var / "celery/queue")
    assert options["processed_folder"] == str(var / "celery/processed")
    assert options["control_folder"] == str(var / "celery/control")
    assert values["CELERY_RESULT_BACKEND"] == f"file://{var / 'celery/results'}"


def test_a_relative_var_dir_still_gives_absolute_celery_paths(tmp_path):
    values = read_settings(tmp_path, "CELERY_RESULT_BACKEND", SECRET_KEY=SECRET, VAR_DIR="rel")
    assert values["CELERY_RESULT_BACKEND"] == f"file://{tmp_path.resolve() / 'rel/celery/results'}"


def test_servers_are_used_when_their_urls_are_set(tmp_path):
    values = read_settings(
        tmp_path,
        "DATABASES",
        "CACHES",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CELERY_BROKER_TRANSPORT_OPTIONS",
        "CELERY_TASK_TIME_LIMIT",
        SECRET_KEY=SECRET,
        DATABASE_URL="postgres://portal:pw@db.example.test:6543/portal?sslmode=require",
        REDIS_URL="redis://cache.example.test:6379/3",
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == (
        "portal",
        "db.example.test",
        "6543",
    )
    assert database["OPTIONS"] == {"options": "-c jit=off", "sslmode": "require"}
    assert database["CONN_HEALTH_CHECKS"] is True
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "portal.core.cache.RedisCache"
    assert cache["LOCATION"] == "redis://cache.example.test:6379/3"
    assert values["CELERY_BROKER_URL"] == "redis://cache.example.test:6379/3"
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.example.test:6379/3"
    visibility = values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert visibility > values["CELERY_TASK_TIME_LIMIT"]


# --- what the test settings keep from the real ones --------------------------


def test_argon2_hashes_real_passwords(db):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    person = make_person("newcomer")
    person.set_password("a long and unusual passphrase")
    person.save()
    person.refresh_from_db()
    assert person.password.startswith("argon2$")
    assert person.check_password("a long and unusual passphrase")

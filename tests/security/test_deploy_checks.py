"""`check --deploy` fails on a proxy without TRUSTED_PROXIES and on an unusable audit key."""

from django.core.checks import Tags, run_checks

from portal.audit.keyfile import create_private_key


def deploy_errors() -> set[str]:
    messages = run_checks(tags=[Tags.security], include_deployment_checks=True)
    return {message.id for message in messages}


def test_a_trusted_proxy_header_without_trusted_proxies_fails_the_deploy_check(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    assert "accounts.E001" in deploy_errors()

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert "accounts.E001" not in deploy_errors()


def test_without_a_proxy_setting_trusted_proxies_may_stay_empty(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.TRUSTED_PROXIES = []
    assert "accounts.E001" not in deploy_errors()


def test_the_proxy_check_is_a_deploy_check_only(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    assert "accounts.E001" not in {message.id for message in run_checks(tags=[Tags.security])}


def test_a_missing_or_foreign_audit_signing_key_fails_the_deploy_check(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "missing.pem"
    assert "audit.E001" in deploy_errors()

    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    settings.AUDIT_SIGNING_KEY_FILE = not_a_key
    assert "audit.E001" in deploy_errors()

    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "key.pem"
    create_private_key(settings.AUDIT_SIGNING_KEY_FILE)
    assert "audit.E001" not in deploy_errors()


def test_a_missing_or_foreign_manifest_signing_key_fails_the_deploy_check(settings, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from portal.files.manifests import create_private_key as create_manifest_key

    settings.MANIFEST_SIGNING_KEY_FILE = tmp_path / "missing.pem"
    assert "files.E002" in deploy_errors()

    ed25519 = tmp_path / "ed25519.pem"  # a key, but not one model-signing signs with
    ed25519.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.MANIFEST_SIGNING_KEY_FILE = ed25519
    assert "files.E002" in deploy_errors()

    settings.MANIFEST_SIGNING_KEY_FILE = tmp_path / "manifest-key.pem"
    create_manifest_key(settings.MANIFEST_SIGNING_KEY_FILE)
    assert "files.E002" not in deploy_errors()

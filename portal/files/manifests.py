"""Signed manifests in the OpenSSF model-signing format, from digests the portal already has.

A model snapshot is many files, each stored with its size and SHA-256
(computed once, while it streamed in). ``model-signing`` normally hashes a
directory itself; here the manifest is built from the stored digests with the
library's own classes (``model_signing.manifest``): the "files" serialization
with SHA-256, one item per relative path. It is signed with the portal's
elliptic-curve key by the library's key signer, so the result is the Sigstore
bundle (a DSSE envelope over an in-toto statement) that ``model_signing verify
key`` reads, and not a byte of a model is read again.

The signature file is ``model.sig``; the manifest tells verifiers to skip that
name (and git's files), so a bank keeps it beside the files it downloaded.
Signing costs a millisecond; a signed manifest is cached by the digest of its
contents and the signing key, so a grant or case that did not change is not
signed again.
"""

import hashlib
import os
import pathlib
import tempfile
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.cache import cache
from model_signing import hashing, manifest, signing

# The one constructor of a digest: the library has no public name for it yet.
from model_signing._hashing.hashing import Digest

SIGNATURE_NAME = "model.sig"
IGNORED = [SIGNATURE_NAME, ".git", ".gitattributes", ".github", ".gitignore"]
CACHE_SECONDS = 24 * 3600


class ManifestKeyError(Exception):
    """The manifest signing key cannot be read or is not an EC key model-signing accepts."""


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative, normalized POSIX
    size: int
    sha256: str


# -- The key -------------------------------------------------------------------


def create_private_key(path: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    """Write a new P-256 private key (PKCS #8 PEM, mode 0600); never overwrite one."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def load_private_key(path: pathlib.Path) -> ec.EllipticCurvePrivateKey:
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as error:
        raise ManifestKeyError(
            f"cannot read the manifest signing key {path}: {error.strerror}"
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ManifestKeyError(f"{path} is not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in (
        "secp256r1",
        "secp384r1",
        "secp521r1",
    ):
        raise ManifestKeyError(f"{path} is not an elliptic-curve key on P-256, P-384 or P-521")
    return key


def public_key_pem(path: pathlib.Path | None = None) -> str:
    key = load_private_key(path or settings.MANIFEST_SIGNING_KEY_FILE)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


# -- The manifest ----------------------------------------------------------------


def build_manifest(name: str, entries: list[ManifestEntry]) -> manifest.Manifest:
    """The manifest model-signing would compute for a directory holding these files."""
    serialization_type = manifest.SerializationType.from_args(
        {"method": "files", "hash_type": "sha256", "allow_symlinks": False, "ignore_paths": IGNORED}
    )
    items = [
        serialization_type.new_item(entry.path, Digest("sha256", bytes.fromhex(entry.sha256)))
        for entry in entries
    ]
    return manifest.Manifest(name, items, serialization_type)


class KnownDigests(hashing.Config):
    """A hashing configuration that hashes nothing: it answers with a manifest built
    from stored digests, so the library's signing path signs it as it is."""

    def __init__(self, known: manifest.Manifest):
        super().__init__()
        self.known = known

    def hash(self, model_path, *, files_to_hash=None) -> manifest.Manifest:
        return self.known


def _sign(name: str, entries: list[ManifestEntry], key_file: pathlib.Path) -> bytes:
    config = (
        signing.Config()
        .set_hashing_config(KnownDigests(build_manifest(name, entries)))
        .use_elliptic_key_signer(private_key=key_file)
    )
    with tempfile.TemporaryDirectory(prefix="portal-manifest-") as folder:
        signature = pathlib.Path(folder) / SIGNATURE_NAME
        config.sign(folder, signature)
        return signature.read_bytes()


def signed_manifest(name: str, entries: list[ManifestEntry]) -> bytes:
    """``model.sig`` for these files: a Sigstore bundle JSON, cached by content and key."""
    key_file = pathlib.Path(settings.MANIFEST_SIGNING_KEY_FILE)
    load_private_key(key_file)  # a clear error before the library's own
    fingerprint = hashlib.sha256()
    fingerprint.update(public_key_pem(key_file).encode())
    fingerprint.update(name.encode())
    for entry in sorted(entries, key=lambda e: e.path):
        fingerprint.update(f"\0{entry.path}\0{entry.size}\0{entry.sha256}".encode())
    cache_key = f"model-sig:{fingerprint.hexdigest()}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    signature = _sign(name, entries, key_file)
    cache.set(cache_key, signature, CACHE_SECONDS)
    return signature

"""A SHA-256 whose running state can be saved and taken up again in another process.

A resumable upload arrives in many requests, perhaps served by different
workers, over hours. Its whole-file SHA-256 must keep running across them
without reading back the bytes already stored: a resume is never
O(bytes so far). ``hashlib`` objects cannot export their state, so this
module drives OpenSSL's own SHA-256 through its public, documented
low-level API (``SHA256_Init``/``SHA256_Update``/``SHA256_Final`` and the
``SHA256_CTX`` struct of ``<openssl/sha.h>``), the same machine code that
``hashlib.sha256`` runs, at the same speed, with the GIL released.

What is saved is the standard intermediate state of SHA-256 (FIPS 180-4):
the eight 32-bit chaining words, the number of bytes hashed so far and the
0–63 bytes waiting for a full block. ``to_bytes`` writes them in a fixed,
portable big-endian layout (104 bytes at most), not the struct's memory, so
a state saved on one machine is read on any other.

Why not a package: ``rehash`` pickles ``hashlib`` objects by reading
CPython's and OpenSSL's *private* struct layouts at fixed offsets, which
change between Python and OpenSSL releases (OpenSSL 3 moved digests into
providers); a wrong offset there is memory corruption, not an error.
``resumablesha256`` ships its own portable C SHA-256, several times slower
than OpenSSL's on machines with SHA extensions, which the upload bench
(1.5× of hashing and copying) cannot afford. ``SHA256_CTX`` has had the
same layout since OpenSSL 0.9.8 and is still exported (deprecated, not
removed) by OpenSSL 3.
"""

import ctypes
import ctypes.util
import hashlib
import struct
from functools import cache

MAGIC = b"sha256v1"
LAYOUT = struct.Struct(">8sQ8I")  # magic, bytes hashed, the chaining words


class _Context(ctypes.Structure):
    # typedef struct SHA256state_st { SHA_LONG h[8]; SHA_LONG Nl, Nh;
    #   SHA_LONG data[16]; unsigned int num, md_len; } SHA256_CTX;
    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("Nl", ctypes.c_uint32),
        ("Nh", ctypes.c_uint32),
        ("data", ctypes.c_uint8 * 64),
        ("num", ctypes.c_uint),
        ("md_len", ctypes.c_uint),
    ]


@cache
def _libcrypto() -> ctypes.CDLL:
    """The libcrypto that ``hashlib`` itself uses, or the system's."""
    candidates = []
    try:
        import _hashlib  # noqa: PLC0415 - its file names the libcrypto hashlib links

        candidates.append(_hashlib.__file__)
    except ImportError:  # pragma: no cover - a Python built without OpenSSL
        pass
    if found := ctypes.util.find_library("crypto"):
        candidates.append(found)
    for candidate in candidates:
        try:
            lib = ctypes.CDLL(candidate)
            lib.SHA256_Update  # noqa: B018 - raises AttributeError when missing
        except (OSError, AttributeError):
            continue
        pointer = ctypes.POINTER(_Context)
        lib.SHA256_Init.argtypes = [pointer]
        lib.SHA256_Update.argtypes = [pointer, ctypes.c_void_p, ctypes.c_size_t]
        lib.SHA256_Final.argtypes = [ctypes.c_char_p, pointer]
        return lib
    raise RuntimeError("OpenSSL's libcrypto (SHA256_Update) is needed for resumable uploads.")


class ResumableSha256:
    """``hashlib.sha256``'s ``update``/``hexdigest``, plus ``to_bytes``/``from_bytes``."""

    def __init__(self) -> None:
        self._lib = _libcrypto()
        self._ctx = _Context()
        self._lib.SHA256_Init(ctypes.byref(self._ctx))

    def update(self, data) -> None:
        """Hash ``data``: bytes, or a writable buffer (an upload block), without copying it."""
        if isinstance(data, bytes):
            self._lib.SHA256_Update(ctypes.byref(self._ctx), data, len(data))
            return
        view = memoryview(data).cast("B")
        if view.readonly:
            self._lib.SHA256_Update(ctypes.byref(self._ctx), bytes(view), len(view))
            return
        if not view.nbytes:
            return
        buffer = (ctypes.c_char * view.nbytes).from_buffer(view)
        try:
            self._lib.SHA256_Update(ctypes.byref(self._ctx), buffer, view.nbytes)
        finally:
            del buffer

    @property
    def bytes_hashed(self) -> int:
        return ((self._ctx.Nh << 32) | self._ctx.Nl) // 8

    def copy(self) -> "ResumableSha256":
        twin = ResumableSha256()
        ctypes.memmove(ctypes.byref(twin._ctx), ctypes.byref(self._ctx), ctypes.sizeof(_Context))
        return twin

    def digest(self) -> bytes:
        out = ctypes.create_string_buffer(32)
        self._lib.SHA256_Final(out, ctypes.byref(self.copy()._ctx))
        return out.raw

    def hexdigest(self) -> str:
        return self.digest().hex()

    def to_bytes(self) -> bytes:
        ctx = self._ctx
        pending = bytes(ctx.data)[: ctx.num]
        return LAYOUT.pack(MAGIC, self.bytes_hashed, *ctx.h) + pending

    @classmethod
    def from_bytes(cls, state: bytes) -> "ResumableSha256":
        if len(state) < LAYOUT.size or not state.startswith(MAGIC):
            raise ValueError("Not a saved SHA-256 state.")
        magic, hashed, *words = LAYOUT.unpack_from(state)
        pending = state[LAYOUT.size :]
        if len(pending) != hashed % 64:
            raise ValueError("The saved SHA-256 state is inconsistent.")
        hasher = cls()
        ctx = hasher._ctx
        for index, word in enumerate(words):
            ctx.h[index] = word
        bits = hashed * 8
        ctx.Nl, ctx.Nh = bits & 0xFFFFFFFF, bits >> 32
        ctypes.memmove(ctx.data, pending, len(pending))
        ctx.num = len(pending)
        return hasher


def empty_state() -> bytes:
    return ResumableSha256().to_bytes()


def self_check() -> None:
    """Refuse to run with a libcrypto whose SHA-256 state does not round-trip."""
    hasher = ResumableSha256()
    hasher.update(b"x" * 100)
    resumed = ResumableSha256.from_bytes(hasher.to_bytes())
    resumed.update(b"y" * 30)
    if resumed.hexdigest() != hashlib.sha256(b"x" * 100 + b"y" * 30).hexdigest():
        raise RuntimeError("The resumable SHA-256 does not match hashlib's.")

"""The resumable SHA-256: a state saved anywhere resumes, elsewhere, to hashlib's digest."""

import hashlib
import os

import pytest

from portal.files.sha256state import LAYOUT, ResumableSha256, empty_state, self_check

DATA = os.urandom(1000)


@pytest.mark.parametrize("cut", [0, 1, 55, 63, 64, 65, 127, 128, 500, 999, 1000])
def test_a_state_saved_at_any_byte_resumes_to_hashlibs_digest(cut):
    first = ResumableSha256()
    first.update(DATA[:cut])

    resumed = ResumableSha256.from_bytes(first.to_bytes())
    resumed.update(DATA[cut:])

    assert resumed.hexdigest() == hashlib.sha256(DATA).hexdigest()
    assert resumed.bytes_hashed == len(DATA)


def test_the_saved_state_is_small_and_portable():
    hasher = ResumableSha256()
    hasher.update(DATA[:70])
    state = hasher.to_bytes()

    assert len(state) == LAYOUT.size + 6  # the chaining words, the count, 6 bytes waiting
    assert state.startswith(b"sha256v1")
    assert int.from_bytes(state[8:16], "big") == 70


def test_a_digest_does_not_end_the_hash():
    hasher = ResumableSha256()
    hasher.update(b"abc")
    assert hasher.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    hasher.update(b"def")
    assert hasher.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


@pytest.mark.parametrize("state", [b"", b"sha256v1", b"md5-----" + bytes(40), empty_state() + b"x"])
def test_a_damaged_state_is_refused(state):
    with pytest.raises(ValueError):
        ResumableSha256.from_bytes(state)


def test_the_self_check_passes_on_this_machine():
    self_check()

"""The Range parser never fails: any header gets the whole file, one range, or 416.

Property-based (hypothesis): arbitrary text, and single ranges whose numbers
have any number of digits, against a reference written straight from RFC 9110
§14.1.2 with unlimited integers. The views' side — every download URL answers
hostile headers with the documented answer and a record — is in
``tests/files/test_download_records.py``.
"""

import sys
from contextlib import contextmanager

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.files.serve import ByteRange, Unsatisfiable, parse_range

SIZES = st.integers(min_value=0, max_value=10**15)
DIGITS = st.text(alphabet="0123456789", max_size=5000)
UNSATISFIABLE = "416"
# Thousands of digits per example on a shared CI machine: no per-example deadline.
unhurried = hypothesis_settings(deadline=None)


@contextmanager
def unlimited_int_digits():
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def answer(header, size):
    """The parser's answer: None (whole file), (start, end), or "416"; nothing else."""
    try:
        byte_range = parse_range(header, size)
    except Unsatisfiable:
        return UNSATISFIABLE
    if byte_range is None:
        return None
    assert isinstance(byte_range, ByteRange)
    return (byte_range.start, byte_range.end)


def rfc_answer(first: str, last: str, size: int):
    """RFC 9110 §14.1.2 for ``bytes=first-last``, with integers of any size."""
    with unlimited_int_digits():
        if not first and not last:
            return None
        if not first:
            suffix = int(last)
            if suffix == 0:
                return UNSATISFIABLE
            return (max(size - suffix, 0), size - 1) if size else None
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            return UNSATISFIABLE
        return (start, min(end, size - 1))


@unhurried
@given(header=st.text(max_size=300), size=SIZES)
@example(header="bytes=" + "9" * 4400 + "-", size=10)
@example(header="bytes=١-٢", size=10)  # Arabic-Indic digits are no digits here
@example(header="bytes=0-1," * 1000, size=10)
@example(header="\x00bytes=0-1", size=10)
def test_any_header_gets_the_whole_file_one_range_or_416(header, size):
    result = answer(header, size)
    if isinstance(result, tuple):
        start, end = result
        assert 0 <= start <= end < size


@unhurried
@given(first=DIGITS, last=DIGITS, size=SIZES)
@example(first="9" * 4400, last="", size=100)
@example(first="0", last="9" * 4400, size=100)
@example(first="", last="9" * 4400, size=100)
@example(first="0" * 4400 + "1", last="0" * 4400 + "2", size=100)
@example(first="9" * 30, last="1" + "0" * 29, size=100)  # end below start, both enormous
def test_a_single_range_of_any_length_is_answered_as_rfc_9110_says(first, last, size):
    assert answer(f"bytes={first}-{last}", size) == rfc_answer(first, last, size)


@unhurried
@given(
    unit=st.sampled_from(["bytes", "BYTES", "Bytes"]),
    first=DIGITS,
    last=DIGITS,
    spaces=st.booleans(),
    size=SIZES,
)
def test_the_unit_is_case_insensitive_and_spaces_are_tolerated(unit, first, last, spaces, size):
    header = f" {unit} = {first} - {last} " if spaces else f"{unit}={first}-{last}"
    assert answer(header, size) == rfc_answer(first, last, size)


@unhurried
@given(
    ranges=st.lists(st.tuples(DIGITS, DIGITS), min_size=2, max_size=50),
    size=SIZES,
)
def test_several_ranges_get_the_whole_file(ranges, size):
    header = "bytes=" + ",".join(f"{first}-{last}" for first, last in ranges)
    assert answer(header, size) is None


@pytest.mark.parametrize(
    "header",
    ["", "bytes", "bytes=", "bytes=-", "bytes=a-b", "items=0-1", "bytes=0-1-2", "bytes=5-1"],
)
def test_malformed_or_invalid_headers_get_the_whole_file(header):
    assert answer(header, 100) is None

"""The template filters that put numbers into words."""

from decimal import Decimal

from portal.core.templatetags.portal_tags import bytes_and_size, signed


def test_a_small_file_size_is_said_once():
    assert bytes_and_size(42) == "42 bytes"
    assert bytes_and_size(1) == "1 byte"
    assert bytes_and_size(0) == "0 bytes"
    assert bytes_and_size(1023) == "1,023 bytes"


def test_a_large_file_size_gives_the_bytes_and_the_rounded_size():
    assert bytes_and_size(1_048_576) == "1,048,576 bytes (1.0\xa0MB)"


def test_signed_shows_the_direction_of_a_change():
    assert signed(Decimal("10.00")) == "+10"
    assert signed(Decimal("-10.00")) == "\u221210"
    assert signed(Decimal("0")) == "0"
    assert signed(Decimal("-0.5")) == "\u22120.5"
    assert signed(None) == ""

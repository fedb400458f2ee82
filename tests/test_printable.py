"""dresskit.printable: text from data without control characters, escapes or bidi overrides."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.printable import BIDI_CONTROLS, printable


def controls_left(text: str, *, multiline: bool) -> list[str]:
    allowed = {"\n"} if multiline else set()
    return [
        character
        for character in text
        if (unicodedata.category(character) == "Cc" and character not in allowed)
        or character in BIDI_CONTROLS
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b[Hamoxicillin", "amoxicillin"),  # clear screen, cursor home
        ("a\x1b]0;title\x07b", "ab"),  # window title (OSC ... BEL)
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # hyperlink (OSC ... ST)
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("a\x1bcb", "ab"),  # reset
        ("a\x1b", "a"),  # lone ESC
        ("abc\u202edcba", "abcdcba"),  # right-to-left override
        ("x\u2066y\u2069", "xy"),  # isolates
        ("a\x00b\x7fc\x85d", "abc d"),  # NUL, DEL removed; NEL is a line break
        ("tab\there", "tab here"),
        ("[/] [bold red]x $x$ :pill:", "[/] [bold red]x $x$ :pill:"),  # markup is kept
        ("日本語 é 😀", "日本語 é 😀"),
    ],
)
def test_control_sequences_are_removed_and_the_rest_kept(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_line_breaks_are_spaces_unless_the_text_is_multiline() -> None:
    assert printable("a\r\nb\nc\u2028d") == "a b c d"
    assert printable("a\r\nb\nc\u2028d", multiline=True) == "a\nb\nc\nd"


@given(st.text(), st.booleans())
def test_no_control_character_survives(text: str, multiline: bool) -> None:
    assert controls_left(printable(text, multiline=multiline), multiline=multiline) == []


@given(st.text(), st.booleans())
def test_printable_is_idempotent(text: str, multiline: bool) -> None:
    once = printable(text, multiline=multiline)
    assert printable(once, multiline=multiline) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_text_without_controls_is_unchanged(text: str) -> None:
    assert printable(text) == text


def test_public_names_are_pinned() -> None:
    import dresskit.printable as module

    assert module.__all__ == ["BIDI_CONTROLS", "printable"]

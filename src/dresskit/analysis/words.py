"""Counted nouns and articles: "1 episode", "2 patients", "an IVIG", "a steroid".

Kept apart from :mod:`dresskit.analysis.formatting` and free of imports, so that every
module (the statistics included) can say counts in words without importing tables.
"""

from __future__ import annotations

from typing import Final

__all__ = ["article", "plural"]

#: Irregular plurals of nouns a report may count.
_PLURALS: Final = {"analysis": "analyses", "criterion": "criteria", "datum": "data"}

#: Words written with a vowel letter but said with a consonant sound, and the reverse
#: (initialisms said letter by letter: "an IVIG", "an ALT", "an HHV-6", "an NRS").
_SAID_WITH_CONSONANT: Final = ("one", "once", "uni", "use", "usu", "eu")
_SAID_WITH_VOWEL: Final = ("hour", "honest", "honour", "heir")
_VOWEL_SOUNDING_LETTERS: Final = frozenset("AEFHILMNORSX")


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """Return ``count`` and ``noun``, the noun in the plural unless the count is 1.

    Examples
    --------
    >>> plural(1, "episode"), plural(2, "patient"), plural(0, "flare")
    ('1 episode', '2 patients', '0 flares')
    >>> plural(3, "tie group"), plural(2, "therapy"), plural(2, "analysis"), plural(2, "day")
    ('3 tie groups', '2 therapies', '2 analyses', '2 days')
    """
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural_form or _plural_of(noun)}"


def _plural_of(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    if last in _PLURALS:
        word = _PLURALS[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def article(word: str) -> str:
    """Return ``word`` with ``a`` or ``an`` as it is said.

    An initialism said letter by letter takes ``an`` when its first letter is said with a
    vowel sound (``an IVIG``, ``an HHV-6``, ``an ALT``).

    Examples
    --------
    >>> article("IVIG"), article("steroid"), article("onset"), article("unknown")
    ('an IVIG', 'a steroid', 'an onset', 'an unknown')
    >>> article("admission"), article("dupilumab"), article("hour"), article("HHV-6")
    ('an admission', 'a dupilumab', 'an hour', 'an HHV-6')
    """
    stripped = word.strip()
    if not stripped:
        return word
    first_token = stripped.split()[0].split("-")[0]
    lowered = stripped.lower()
    if len(first_token) > 1 and first_token.isupper():
        vowel = first_token[0] in _VOWEL_SOUNDING_LETTERS
    elif lowered.startswith(_SAID_WITH_VOWEL):
        vowel = True
    elif lowered.startswith(_SAID_WITH_CONSONANT):
        vowel = False
    else:
        vowel = lowered[0] in "aeiou"
    return f"{'an' if vowel else 'a'} {stripped}"

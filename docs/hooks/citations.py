"""MkDocs hook: the source keys of clinical-reference.md stay text in the API pages.

Docstrings cite their sources by the keys of ``shared/clinical-reference.md`` (``[S23]``), and
two keys side by side (``[S39][S42]``) read as a Markdown reference link, which
mkdocs-autorefs would try to resolve and, in strict mode, fail the build on. This hook puts
them back as the text the docstring wrote before autorefs resolves cross-references.
"""

from __future__ import annotations

import re
from typing import Any

_SOURCE_KEY_LINK = re.compile(r'<autoref\b[^>]*\bidentifier="(S\d+)"[^>]*>(.*?)</autoref>', re.S)


def on_page_content(html: str, **_: Any) -> str:
    """Replace each reference-link between two source keys with the keys as written."""
    return _SOURCE_KEY_LINK.sub(lambda match: f"[{match[2]}][{match[1]}]", html)

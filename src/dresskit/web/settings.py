"""Settings of one running web application."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["WebSettings"]


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the application runs.

    Attributes
    ----------
    secure_cookies
        Mark the session cookie ``Secure`` (sent over HTTPS only). Browsers treat
        ``http://127.0.0.1`` and ``http://localhost`` as secure, so this stays on for a local
        server too; switch it off only for a plain-HTTP test client.
    work_dir
        Where background report jobs write their output (one folder per job).
    deidentify_key
        The key of researchers' pseudonyms (HMAC-SHA256); the same key gives the same
        pseudonyms, so a researcher's views and exports stay linkable for the key holder.
    """

    secure_cookies: bool = True
    work_dir: Path = field(default_factory=lambda: Path("reports") / "web-jobs")
    deidentify_key: bytes = b""
    max_upload_bytes: int = 50 * 1024 * 1024

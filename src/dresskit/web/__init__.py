"""The web application and REST API over the registry (``dresskit serve``).

Thin routes over the other packages: pages (:mod:`.pages`) render Jinja2 templates with
progressive enhancement (vendored htmx), the API (:mod:`.api`) speaks JSON under ``/api/v1``.
No clinical logic lives here: scores, course outcomes, reports, imports and exports come from
:mod:`dresskit.scoring`, :mod:`dresskit.course`, :mod:`dresskit.analysis` and
:mod:`dresskit.registry`; who may do what from :mod:`dresskit.registry.access`.
"""

from __future__ import annotations

from dresskit.web.app import create_app
from dresskit.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

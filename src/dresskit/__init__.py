"""dresskit: care and study of DRESS syndrome and severe drug eruptions.

This module stays light: importing ``dresskit`` (as every command line start does) loads
nothing but the version. :func:`read_bundle` is imported from :mod:`dresskit.bundle`
on first use, with polars and the bundle code behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dresskit._version import __version__

if TYPE_CHECKING:
    from dresskit.bundle import read_bundle

__all__ = ["__version__", "read_bundle"]


def __getattr__(name: str) -> Any:
    """Import :func:`read_bundle` on first use (PEP 562), so ``import dresskit`` stays quick."""
    if name == "read_bundle":
        from dresskit.bundle import read_bundle

        return read_bundle
    raise AttributeError(f"module 'dresskit' has no attribute {name!r}")

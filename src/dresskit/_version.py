"""The version of dresskit, in one place.

``pyproject.toml`` reads it for the package metadata (``[tool.setuptools.dynamic]``),
``dresskit --version`` and the report's title page show it, and ``CITATION.cff`` and
``CHANGELOG.md`` name it (``tests/test_packaging.py`` keeps them equal). This module imports
nothing, so reading the version costs nothing.
"""

__version__ = "0.2.0.dev0"

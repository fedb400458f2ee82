"""Figures draw off-screen in tests."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

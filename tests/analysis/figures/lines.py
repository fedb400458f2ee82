"""Read a drawn line's points back as plain floats."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D


def xdata(line: Line2D) -> list[float]:
    return [float(x) for x in np.asarray(line.get_xdata(), dtype=float)]


def ydata(line: Line2D) -> list[float]:
    return [float(y) for y in np.asarray(line.get_ydata(), dtype=float)]

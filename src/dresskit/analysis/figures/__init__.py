"""Figures: each takes computed results and an optional ``ax``, draws, and returns the axes.

Figures never compute statistics and never write files; matplotlib is imported inside each
function so that the rest of dresskit does not pay for it.
"""

"""Cohort analysis: tables, statistics, figures and reports from course data.

Numbers first, formatting last, drawing apart: statistics return result objects that carry
their method and source; figures take those results and an optional matplotlib ``ax``.
"""

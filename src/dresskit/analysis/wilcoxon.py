"""Paired Wilcoxon signed-rank test, with the exact, normal and SPSS conventions spelled out.

The test compares paired measurements (before and after IVIG, say) through the ranks of the
absolute differences ``after - before``. Three ways of getting a p-value are offered:

- ``"exact"``: the exact permutation (sign-flip) distribution of the positive rank sum, computed
  by dynamic programming over *doubled* ranks, so that midranks of tied differences stay
  integers and the distribution remains exact conditional on the observed ties and zeros.
- ``"approx"``: the normal approximation with tie-corrected variance and an optional
  continuity correction of 0.5.
- ``"spss"``: what IBM SPSS Statistics prints for *Nonparametric Tests > Legacy Dialogs >
  2 Related Samples > Wilcoxon* (``NPAR TESTS /WILCOXON``): zero differences dropped, tie-
  corrected variance, no continuity correction, Z computed from the smaller rank sum (so Z is
  never positive) and "Asymp. Sig. (2-tailed)" = 2 Phi(-|Z|).

A pair with a missing side is excluded and counted, never read as a zero difference; zero
differences are dropped (Wilcoxon's own rule, as SPSS does) and counted.

References
----------
.. [1] Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin.
   1945;1(6):80-83.
.. [2] IBM Corp. IBM SPSS Statistics Algorithms. NPAR TESTS algorithms: Wilcoxon matched-pairs
   signed-rank test.
.. [3] Lehmann EL. Nonparametrics: Statistical Methods Based on Ranks. Holden-Day; 1975.
   Chapter 3 (tie-corrected variance of the signed-rank statistic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
from scipy.stats import norm

from dresskit.analysis.words import plural
from dresskit.errors import InputError
from dresskit.scoring._items import Citation

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "WILCOXON_REFERENCE",
    "WilcoxonResult",
    "wilcoxon_signed_rank",
]

Method = Literal["exact", "approx", "spss"]
Alternative = Literal["two-sided", "greater", "less"]

_METHODS: Final = ("exact", "approx", "spss")
_ALTERNATIVES: Final = ("two-sided", "greater", "less")

#: Below this many non-zero pairs the normal approximation is too coarse to trust.
_SMALL_SAMPLE: Final = 10

_STATISTICAL_METHOD = "none (statistical method, not a clinical definition)"

#: Wilcoxon's paper, the source of the test and of dropping zero differences.
WILCOXON_REFERENCE: Final = Citation(
    text=(
        "Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin. "
        "1945;1(6):80-83."
    ),
    section=_STATISTICAL_METHOD,
    notes=(
        "Zero differences are dropped before ranking (Wilcoxon's method).",
        "Tied absolute differences receive the average of the ranks they span.",
    ),
)

_SPSS_REFERENCE: Final = Citation(
    text=(
        "Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin. "
        "1945;1(6):80-83. IBM Corp. IBM SPSS Statistics Algorithms, NPAR TESTS: Wilcoxon "
        "matched-pairs signed-rank test."
    ),
    section=_STATISTICAL_METHOD,
    notes=(
        *WILCOXON_REFERENCE.notes,
        "SPSS: Z = (min(W+, W-) - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24 - sum(t^3 - t)/48), "
        "no continuity correction; Asymp. Sig. (2-tailed) = 2 Phi(-|Z|).",
    ),
)

_METHOD_WORDS: Final = {
    "exact": "exact null distribution",
    "approx": "normal approximation",
    "spss": "SPSS asymptotic, no continuity correction",
}


@dataclass(frozen=True)
class WilcoxonResult:
    """The explained result of a paired Wilcoxon signed-rank test.

    Attributes
    ----------
    test
        ``"Wilcoxon signed-rank test (paired)"``.
    method
        ``"exact"``, ``"approx"`` or ``"spss"``.
    alternative
        ``"two-sided"``, ``"greater"`` (after tends to exceed before) or ``"less"``.
    label
        What was compared, as the caller named it; ``None`` if not named.
    n_pairs_given
        Pairs received.
    n_missing_pairs
        Pairs excluded because one or both sides were missing (``None`` or NaN).
    n_zero_differences_dropped
        Pairs with ``after == before``, dropped before ranking.
    n_used
        Pairs ranked: given minus missing minus zero differences.
    tie_groups
        ``(absolute difference, count)`` for every absolute difference shared by two or more
        pairs, in increasing order of the difference.
    w_plus, w_minus
        Sums of the ranks of the positive and of the negative differences.
    statistic
        The reported statistic: ``T = min(W+, W-)`` for a two-sided test, ``W+`` otherwise.
    z
        The standardised statistic (``None`` for the exact method). For ``"spss"`` it is
        computed from the smaller rank sum, so it is never positive; for ``"approx"`` it is
        computed from ``W+`` (including any continuity correction).
    p_value
        The p-value for ``alternative``.
    continuity_correction
        Whether 0.5 was subtracted from ``|W+ - n(n+1)/4|``.
    remarks
        Caveats: pairs excluded, small samples, ties.
    reference
        The primary source (and the SPSS algorithm notes for ``"spss"``).
    """

    test: str
    method: Method
    alternative: Alternative
    label: str | None
    n_pairs_given: int
    n_missing_pairs: int
    n_zero_differences_dropped: int
    n_used: int
    tie_groups: tuple[tuple[float, int], ...]
    w_plus: float
    w_minus: float
    statistic: float
    z: float | None
    p_value: float
    continuity_correction: bool
    remarks: tuple[str, ...]
    reference: Citation

    def describe(self) -> str:
        """Return the result as one plain sentence.

        Examples
        --------
        >>> result = wilcoxon_signed_rank([1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12],
        ...                               method="exact")
        >>> print(result.describe())
        Wilcoxon signed-rank test (paired): 6 pairs used (0 zero differences dropped, 0 missing), T = 0, p = 0.03125 (two-sided, exact null distribution).
        """  # noqa: E501
        what = f" of {self.label}" if self.label else ""
        name = "T" if self.alternative == "two-sided" else "W+"
        z = f", Z = {self.z:.3f}" if self.z is not None else ""
        # A p value is never printed as 0: below 0.0001 it is said to be below it.
        p = "p < 0.0001" if self.p_value < 0.0001 else f"p = {self.p_value:.4g}"
        return (
            f"{self.test}{what}: {self.n_used} pair{'s' if self.n_used != 1 else ''} used "
            f"({self.n_zero_differences_dropped} zero difference"
            f"{'s' if self.n_zero_differences_dropped != 1 else ''} dropped, "
            f"{self.n_missing_pairs} missing), {name} = {self.statistic:g}{z}, "
            f"{p} ({self.alternative}, {_METHOD_WORDS[self.method]})."
        )

    def to_frame(self) -> pl.DataFrame:
        """Return the result as a one-row polars frame (numbers as numbers).

        Columns: ``label``, ``test``, ``method``, ``alternative``, ``n_pairs_given``,
        ``n_missing_pairs``, ``n_zero_differences_dropped``, ``n_used``, ``tie_groups``
        (how many), ``w_plus``, ``w_minus``, ``statistic``, ``z``, ``p_value``,
        ``continuity_correction``.
        """
        import polars as pl

        return pl.DataFrame(
            [
                {
                    "label": self.label,
                    "test": self.test,
                    "method": self.method,
                    "alternative": self.alternative,
                    "n_pairs_given": self.n_pairs_given,
                    "n_missing_pairs": self.n_missing_pairs,
                    "n_zero_differences_dropped": self.n_zero_differences_dropped,
                    "n_used": self.n_used,
                    "tie_groups": len(self.tie_groups),
                    "w_plus": self.w_plus,
                    "w_minus": self.w_minus,
                    "statistic": self.statistic,
                    "z": self.z,
                    "p_value": self.p_value,
                    "continuity_correction": self.continuity_correction,
                }
            ],
            schema={
                "label": pl.Utf8,
                "test": pl.Utf8,
                "method": pl.Utf8,
                "alternative": pl.Utf8,
                "n_pairs_given": pl.Int64,
                "n_missing_pairs": pl.Int64,
                "n_zero_differences_dropped": pl.Int64,
                "n_used": pl.Int64,
                "tie_groups": pl.Int64,
                "w_plus": pl.Float64,
                "w_minus": pl.Float64,
                "statistic": pl.Float64,
                "z": pl.Float64,
                "p_value": pl.Float64,
                "continuity_correction": pl.Boolean,
            },
        )


def _value(values: Sequence[float | None], position: int, field: str) -> float | None:
    """Return one side of a pair as a float, ``None`` when missing; refuse anything else."""
    raw = values[position]
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | np.integer | np.floating):
        raise InputError(f"{field}[{position}]", raw, "a number, None or NaN (missing)")
    number = float(raw)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise InputError(f"{field}[{position}]", raw, "a finite number, None or NaN (missing)")
    return number


def _average_ranks(magnitudes: Sequence[float]) -> tuple[list[float], list[tuple[float, int]]]:
    """Average ranks (1-based) of ``magnitudes`` and the groups of equal values (count >= 2)."""
    order = sorted(range(len(magnitudes)), key=lambda i: magnitudes[i])
    ranks = [0.0] * len(magnitudes)
    ties: list[tuple[float, int]] = []
    start = 0
    while start < len(order):
        stop = start
        while stop + 1 < len(order) and magnitudes[order[stop + 1]] == magnitudes[order[start]]:
            stop += 1
        rank = (start + stop + 2) / 2  # mean of the 1-based ranks start+1 .. stop+1
        for i in order[start : stop + 1]:
            ranks[i] = rank
        if stop > start:
            ties.append((magnitudes[order[start]], stop - start + 1))
        start = stop + 1
    return ranks, ties


def _exact_distribution(
    doubled_ranks: Sequence[int],
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """Null probabilities of every value of ``2 W+`` under random signs.

    Each rank joins ``W+`` with probability 1/2 independently (sign-flip permutation), so the
    distribution is the convolution of two-point distributions. Doubling makes midranks
    (which end in .5) integers, so ties and dropped zeros keep the distribution exact.
    """
    total = sum(doubled_ranks)
    probabilities = np.zeros(total + 1, dtype=np.float64)
    probabilities[0] = 1.0
    reach = 0
    for rank in doubled_ranks:
        shifted = np.zeros_like(probabilities)
        shifted[rank : reach + rank + 1] = probabilities[: reach + 1]
        probabilities = 0.5 * (probabilities + shifted)
        reach += rank
    return probabilities


def _exact_p_value(
    doubled_ranks: Sequence[int], doubled_w_plus: int, alternative: Alternative
) -> float:
    probabilities = _exact_distribution(doubled_ranks)
    at_most = float(probabilities[: doubled_w_plus + 1].sum())
    at_least = float(probabilities[doubled_w_plus:].sum())
    if alternative == "greater":
        return min(at_least, 1.0)
    if alternative == "less":
        return min(at_most, 1.0)
    # The null distribution is symmetric about n(n+1)/4, so doubling the smaller tail is the
    # usual two-sided p (as scipy computes it).
    return min(2.0 * min(at_most, at_least), 1.0)


def wilcoxon_signed_rank(
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    method: Method = "spss",
    alternative: Alternative = "two-sided",
    correction: bool = False,
    label: str | None = None,
) -> WilcoxonResult:
    r"""Test whether paired differences ``after - before`` are centred on zero.

    Differences are ``d = after - before``. Pairs with a missing side (``None`` or NaN) are
    excluded and counted; zero differences are dropped and counted (Wilcoxon's method, as
    SPSS does); the absolute differences of the remaining ``n`` pairs are ranked, tied values
    receiving their average rank; ``W+`` and ``W-`` sum the ranks of the positive and of the
    negative differences (``W+ + W- = n(n+1)/2``).

    Differences are compared exactly as floating-point numbers: round measurements to their
    recorded precision first (``2.1 - 2.0`` and ``1.1 - 1.0`` are not equal in binary
    floating point, so they would not be tied).

    Parameters
    ----------
    before, after
        Paired measurements, in the same order and of the same length. ``None`` and NaN mean
        missing.
    method
        ``"exact"``: exact sign-flip distribution of ``W+`` (conditional on the observed ties,
        computed over doubled ranks, so exact with ties too). ``"approx"``: normal
        approximation with variance ``n(n+1)(2n+1)/24 - sum(t^3 - t)/48`` over tie groups of
        size ``t``, continuity correction if ``correction``. ``"spss"`` (default): as SPSS
        prints it, ``Z`` from ``min(W+, W-)``, no continuity correction, two-sided only.
    alternative
        ``"two-sided"``; ``"greater"``: after tends to exceed before; ``"less"``: after tends
        to fall below before.
    correction
        Continuity correction of 0.5 towards the mean for ``"approx"``. Refused with the other
        methods (the exact test needs none, SPSS applies none).
    label
        What is compared (``"ALT, U/L, day 0 vs day 7"``), carried into the result.

    Returns
    -------
    WilcoxonResult
        Counts of pairs given, missing, dropped and used; tie groups; ``W+``, ``W-``; the
        reported statistic; ``Z`` (not for exact); the p-value; remarks; the citation.

    Raises
    ------
    dresskit.errors.InputError
        If ``before`` and ``after`` differ in length, a value is neither a number nor missing,
        a value is infinite, or no pair is left after dropping missing pairs and zeros.
    ValueError
        If ``method`` or ``alternative`` is not one of those listed, ``correction`` is asked
        for with ``"exact"`` or ``"spss"``, or a one-sided test is asked for with ``"spss"``.

    Notes
    -----
    Cross-checked in ``tests/analysis/test_wilcoxon.py`` against scipy 1.17:

    - ``"approx"``: ``scipy.stats.wilcoxon(after, before, zero_method="wilcox",
      correction=correction, alternative=alternative, method="asymptotic")`` (``p_value``
      and ``zstatistic``; scipy reports ``-|z|`` for two-sided tests). Older scipy spelled
      this ``method="approx"``; scipy 1.17 accepts only ``"asymptotic"``.
    - ``"exact"`` without ties or zeros: ``scipy.stats.wilcoxon(after, before,
      zero_method="wilcox", alternative=alternative, method="exact")``.
    - ``"exact"`` with ties or zeros (where scipy's ``"exact"`` rounds the statistic into the
      tie-free distribution and is not exact): ``scipy.stats.wilcoxon(after, before,
      zero_method="wilcox", alternative=alternative, method=scipy.stats.PermutationMethod())``,
      which enumerates all ``2**n`` sign flips when ``n <= 13``.
    - ``"spss"``: two-sided p equals that of ``"approx"`` without correction; ``Z`` equals
      ``-|z|``.

    The exact distribution costs about ``n`` passes over ``n(n+1)`` cells: well under a second
    for a few hundred pairs.

    References
    ----------
    .. [1] Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin.
       1945;1(6):80-83.
    .. [2] IBM Corp. IBM SPSS Statistics Algorithms. NPAR TESTS algorithms: Wilcoxon
       matched-pairs signed-rank test.

    Examples
    --------
    Ten paired scores, two unchanged and two tied pairs of changes (worked SPSS example in the
    tests):

    >>> sunday = [15, 35, 16, 18, 19, 17, 27, 16, 13, 20]
    >>> wednesday = [28, 35, 35, 24, 39, 32, 27, 29, 36, 35]
    >>> result = wilcoxon_signed_rank(sunday, wednesday)
    >>> result.n_used, result.n_zero_differences_dropped, result.tie_groups
    (8, 2, ((13.0, 2), (15.0, 2)))
    >>> result.w_plus, result.w_minus, result.statistic
    (36.0, 0.0, 0.0)
    >>> round(result.z, 3), round(result.p_value, 4)
    (-2.527, 0.0115)
    >>> exact = wilcoxon_signed_rank(sunday, wednesday, method="exact")
    >>> exact.p_value  # 2 x (1 / 2**8): only all-positive signs reach W+ = 36
    0.0078125

    A missing side excludes the pair; it is not a zero change:

    >>> wilcoxon_signed_rank([1.0, None, 3.0], [2.0, 5.0, float("nan")], method="exact").n_used
    1
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if alternative not in _ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {', '.join(_ALTERNATIVES)}; got {alternative!r}"
        )
    if correction and method != "approx":
        raise ValueError(
            f"correction=True applies only to method='approx'; method={method!r} uses none"
        )
    if method == "spss" and alternative != "two-sided":
        raise ValueError(
            "SPSS reports only the two-sided asymptotic significance; use method='approx' "
            f"(or 'exact') for alternative={alternative!r}"
        )
    if len(before) != len(after):
        raise InputError(
            "after",
            f"{len(after)} values",
            f"as many values as 'before' ({len(before)}), paired in the same order",
        )

    differences: list[float] = []
    missing = 0
    zeros = 0
    for position in range(len(before)):
        first = _value(before, position, "before")
        second = _value(after, position, "after")
        if first is None or second is None:
            missing += 1
            continue
        difference = second - first
        if difference == 0:
            zeros += 1
            continue
        differences.append(difference)

    n = len(differences)
    if n == 0:
        raise InputError(
            "after",
            f"{len(before)} pairs: {missing} missing, {zeros} with a zero difference",
            "at least one pair with both values present and a non-zero difference",
        )

    ranks, ties = _average_ranks([abs(d) for d in differences])
    w_plus = sum(r for r, d in zip(ranks, differences, strict=True) if d > 0)
    w_minus = sum(r for r, d in zip(ranks, differences, strict=True) if d < 0)
    mean = n * (n + 1) / 4
    variance = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for _, t in ties) / 48
    sd = math.sqrt(variance)  # > 0 for n >= 1 whatever the ties

    z: float | None
    if method == "exact":
        doubled = [round(2 * r) for r in ranks]
        p_value = _exact_p_value(doubled, round(2 * w_plus), alternative)
        z = None
    elif method == "spss":
        z = (min(w_plus, w_minus) - mean) / sd
        p_value = float(2 * norm.sf(abs(z)))
    else:
        shift = w_plus - mean
        if correction:
            # Towards the mean: for a one-sided test, against the tail tested (as scipy does).
            if alternative == "greater":
                direction = 1.0
            elif alternative == "less":
                direction = -1.0
            else:
                direction = float((shift > 0) - (shift < 0))
            shift -= 0.5 * direction
        z = shift / sd
        if alternative == "greater":
            p_value = float(norm.sf(z))
        elif alternative == "less":
            p_value = float(norm.cdf(z))
        else:
            p_value = float(2 * norm.sf(abs(z)))
    p_value = min(max(p_value, 0.0), 1.0)

    remarks: list[str] = []
    if missing:
        remarks.append(
            f"{plural(missing, 'pair')} with a missing value excluded (not treated as 0)."
        )
    if zeros:
        remarks.append(
            f"{plural(zeros, 'pair')} with a zero difference dropped (Wilcoxon's method)."
        )
    if method != "exact" and n < _SMALL_SAMPLE:
        remarks.append(
            f"n_used = {n} < {_SMALL_SAMPLE}: the normal approximation is poor; prefer exact."
        )
    if method == "exact" and (ties or zeros):
        remarks.append(
            "Exact p computed from the sign-flip distribution of the observed midranks "
            "(conditional on the ties and dropped zeros)."
        )
    if ties and method != "exact":
        remarks.append(f"Variance corrected for {plural(len(ties), 'group')} of tied differences.")
    smallest = 2.0 ** (1 - n) if alternative == "two-sided" else 2.0**-n
    if smallest > 0.05:
        remarks.append(
            f"With {plural(n, 'pair')} no exact {alternative} p-value can fall below 0.05 "
            f"(smallest possible {smallest:.4g})."
        )

    return WilcoxonResult(
        test="Wilcoxon signed-rank test (paired)",
        method=method,
        alternative=alternative,
        label=label,
        n_pairs_given=len(before),
        n_missing_pairs=missing,
        n_zero_differences_dropped=zeros,
        n_used=n,
        tie_groups=tuple(ties),
        w_plus=float(w_plus),
        w_minus=float(w_minus),
        statistic=float(min(w_plus, w_minus) if alternative == "two-sided" else w_plus),
        z=z,
        p_value=p_value,
        continuity_correction=correction,
        remarks=tuple(remarks),
        reference=_SPSS_REFERENCE if method == "spss" else WILCOXON_REFERENCE,
    )

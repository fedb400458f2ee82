"""Paired Wilcoxon signed-rank test: SPSS worked examples, scipy cross-checks, properties."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dresskit.analysis.wilcoxon import WilcoxonResult, wilcoxon_signed_rank
from dresskit.errors import InputError

# Field A. Discovering Statistics Using SPSS. 3rd ed. London: SAGE; 2009. Section 15.4
# (Wilcoxon signed-rank test), data of Table 15.1 / file Drug.sav: Beck Depression Inventory
# of 10 ecstasy users and 10 alcohol users on the Sunday after a club night and the
# following Wednesday. Transcribed from memory of the book (not openable here) and checked
# against the medians and effect sizes its text prints; see tests/data/SOURCES.md.
ECSTASY_SUNDAY = [15, 35, 16, 18, 19, 17, 27, 16, 13, 20]
ECSTASY_WEDNESDAY = [28, 35, 35, 24, 39, 32, 27, 29, 36, 35]
ALCOHOL_SUNDAY = [16, 15, 20, 15, 16, 13, 14, 19, 18, 18]
ALCOHOL_WEDNESDAY = [5, 6, 30, 8, 9, 7, 6, 17, 3, 10]

# Data sets for the scipy cross-checks: (before, after), chosen to cover no ties, ties, zeros,
# ties and zeros together, all changes in one direction, and a larger sample.
TIE_FREE = ([10, 12, 9, 15, 20, 7, 11], [12.5, 11, 14, 15.75, 26, 4, 19.2])
WITH_TIES = ([3, 5, 8, 2, 9, 4, 6, 7, 10], [5, 3, 11, 4, 13, 7, 10, 9, 10.5])
WITH_ZEROS = ([4, 6, 8, 10, 12, 14, 16, 18], [4, 9, 8, 15, 11, 20, 16, 25])
TIES_AND_ZEROS = (ECSTASY_SUNDAY, ECSTASY_WEDNESDAY)
ONE_DIRECTION = ([1, 2, 3, 4, 5, 6], [2, 5, 5, 9, 9, 12])
LARGER = (
    [float(v) for v in range(30)],
    [v + (3 if v % 3 else -2) + (v % 5) * 0.5 for v in range(30)],
)
DATA_SETS: dict[str, tuple[Sequence[float], Sequence[float]]] = {
    "tie_free": TIE_FREE,
    "with_ties": WITH_TIES,
    "with_zeros": WITH_ZEROS,
    "ties_and_zeros": TIES_AND_ZEROS,
    "one_direction": ONE_DIRECTION,
    "larger": LARGER,
}
ALTERNATIVES = ("two-sided", "greater", "less")


def test_spss_example_ecstasy_group_matches_published_z_and_p() -> None:
    """SPSS output in Field 2009 (section 15.4): ecstasy group, Wednesday - Sunday BDI.

    Published: Negative Ranks 0, Positive Ranks 8, Ties 2; Z = -2.527 ("based on negative
    ranks"), Asymp. Sig. (2-tailed) = .012; reported in the text as T = 0.

    Hand computation (our check of those numbers): differences 13, 0, 19, 6, 20, 15, 0, 13,
    23, 15; two zeros dropped, n = 8; ranks 6 -> 1, 13 -> 2.5 (x2), 15 -> 4.5 (x2), 19 -> 6,
    20 -> 7, 23 -> 8; W+ = 36, W- = 0; variance = 8*9*17/24 - (6 + 6)/48 = 50.75;
    Z = (0 - 18) / sqrt(50.75) = -2.5267; p = 2 Phi(-2.5267) = 0.01151. Tolerances match
    SPSS's three decimals.
    """
    result = wilcoxon_signed_rank(ECSTASY_SUNDAY, ECSTASY_WEDNESDAY, method="spss")
    assert result.n_zero_differences_dropped == 2
    assert result.n_used == 8
    assert (result.w_plus, result.w_minus, result.statistic) == (36.0, 0.0, 0.0)
    assert result.tie_groups == ((13.0, 2), (15.0, 2))
    assert result.z is not None
    assert round(result.z, 3) == -2.527
    assert round(result.p_value, 3) == 0.012
    assert result.z == pytest.approx(-18 / math.sqrt(50.75), rel=1e-12)


def test_spss_example_alcohol_group_matches_published_z_and_p() -> None:
    """SPSS output in Field 2009 (section 15.4): alcohol group, Wednesday - Sunday BDI.

    Published: Negative Ranks 9, Positive Ranks 1, Ties 0; Z = -1.990 ("based on positive
    ranks"), Asymp. Sig. (2-tailed) = .047; reported in the text as T = 8.

    Hand computation: differences -11, -9, 10, -7, -7, -6, -8, -2, -15, -8; ranks 2 -> 1,
    6 -> 2, 7 -> 3.5 (x2), 8 -> 5.5 (x2), 9 -> 7, 10 -> 8, 11 -> 9, 15 -> 10; W+ = 8, W- = 47;
    variance = 10*11*21/24 - 12/48 = 96; Z = (8 - 27.5) / sqrt(96) = -1.9902;
    p = 0.04657.
    """
    result = wilcoxon_signed_rank(ALCOHOL_SUNDAY, ALCOHOL_WEDNESDAY)
    assert result.method == "spss"
    assert (result.w_plus, result.w_minus, result.statistic) == (8.0, 47.0, 8.0)
    assert result.z is not None
    assert round(result.z, 3) == -1.990
    assert round(result.p_value, 3) == 0.047
    assert result.z == pytest.approx(-19.5 / math.sqrt(96), rel=1e-12)


def test_spss_z_is_never_positive_whichever_way_the_pairs_go() -> None:
    forward = wilcoxon_signed_rank(ALCOHOL_SUNDAY, ALCOHOL_WEDNESDAY, method="spss")
    backward = wilcoxon_signed_rank(ALCOHOL_WEDNESDAY, ALCOHOL_SUNDAY, method="spss")
    assert forward.z == backward.z
    assert forward.z is not None
    assert forward.z < 0
    assert forward.p_value == backward.p_value


@pytest.mark.parametrize("name", DATA_SETS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("correction", [False, True])
def test_approx_matches_scipy_asymptotic(name: str, alternative: str, correction: bool) -> None:
    before, after = DATA_SETS[name]
    ours = wilcoxon_signed_rank(
        before,
        after,
        method="approx",
        alternative=alternative,  # type: ignore[arg-type]
        correction=correction,
    )
    theirs = stats.wilcoxon(
        after,
        before,
        zero_method="wilcox",
        correction=correction,
        alternative=alternative,
        method="asymptotic",
    )
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-10, abs=1e-15)
    assert ours.statistic == pytest.approx(theirs.statistic)
    assert ours.z is not None
    # scipy reports -|z| for two-sided tests, the signed z otherwise.
    expected_z = -abs(ours.z) if alternative == "two-sided" else ours.z
    assert expected_z == pytest.approx(theirs.zstatistic, rel=1e-10)


@pytest.mark.parametrize("name", DATA_SETS)
def test_spss_equals_uncorrected_two_sided_approx(name: str) -> None:
    before, after = DATA_SETS[name]
    spss = wilcoxon_signed_rank(before, after, method="spss")
    approx = wilcoxon_signed_rank(before, after, method="approx")
    assert spss.p_value == pytest.approx(approx.p_value, rel=1e-12)
    assert spss.z is not None
    assert approx.z is not None
    assert spss.z == pytest.approx(-abs(approx.z), rel=1e-12)


@pytest.mark.parametrize("name", ["tie_free", "one_direction"])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_exact_matches_scipy_exact_without_ties_or_zeros(name: str, alternative: str) -> None:
    before, after = DATA_SETS[name]
    ours = wilcoxon_signed_rank(before, after, method="exact", alternative=alternative)  # type: ignore[arg-type]
    theirs = stats.wilcoxon(
        after, before, zero_method="wilcox", alternative=alternative, method="exact"
    )
    assert ours.tie_groups == ()
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-12)
    assert ours.statistic == theirs.statistic
    assert ours.z is None


@pytest.mark.parametrize("name", ["with_ties", "with_zeros", "ties_and_zeros"])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_exact_with_ties_matches_full_sign_flip_enumeration(name: str, alternative: str) -> None:
    """scipy's PermutationMethod enumerates all 2**n sign flips when n <= 13 (exact)."""
    before, after = DATA_SETS[name]
    ours = wilcoxon_signed_rank(before, after, method="exact", alternative=alternative)  # type: ignore[arg-type]
    assert ours.tie_groups or ours.n_zero_differences_dropped
    theirs = stats.wilcoxon(
        after,
        before,
        zero_method="wilcox",
        alternative=alternative,
        method=stats.PermutationMethod(),
    )
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-12)


def test_exact_distribution_by_hand_with_a_tie() -> None:
    """|d| = 1, 2, 2 -> ranks 1, 2.5, 2.5; d = +1, +2, -2 -> W+ = 3.5.

    The 8 equally likely sign patterns give W+ in {0, 1, 2.5, 2.5, 3.5, 3.5, 5, 6}, so
    P(W+ <= 3.5) = 6/8, P(W+ >= 3.5) = 4/8 and the two-sided p = min(1, 2 x 4/8) = 1.
    """
    before = [0, 0, 0]
    after = [1, 2, -2]
    assert wilcoxon_signed_rank(before, after, method="exact", alternative="less").p_value == 0.75
    assert wilcoxon_signed_rank(before, after, method="exact", alternative="greater").p_value == 0.5
    assert wilcoxon_signed_rank(before, after, method="exact").p_value == 1.0


def test_missing_side_excludes_the_pair_and_is_counted_not_zero() -> None:
    before = [1.0, None, 3.0, float("nan"), 5.0, 6.0]
    after = [2.0, 4.0, None, 7.0, 5.0, 9.0]
    result = wilcoxon_signed_rank(before, after, method="exact")
    assert result.n_pairs_given == 6
    assert result.n_missing_pairs == 3
    assert result.n_zero_differences_dropped == 1
    assert result.n_used == 2
    assert (result.w_plus, result.w_minus) == (3.0, 0.0)
    assert any("missing" in remark for remark in result.remarks)


def test_small_sample_remark_recommends_exact() -> None:
    result = wilcoxon_signed_rank(*ONE_DIRECTION, method="approx")
    assert any("normal approximation is poor; prefer exact" in r for r in result.remarks)
    exact = wilcoxon_signed_rank(*ONE_DIRECTION, method="exact")
    assert not any("normal approximation" in r for r in exact.remarks)


def test_reference_cites_wilcoxon_and_spss_algorithms_for_spss() -> None:
    spss = wilcoxon_signed_rank(*WITH_TIES, method="spss")
    exact = wilcoxon_signed_rank(*WITH_TIES, method="exact")
    assert "Biometrics Bulletin" in exact.reference.text
    assert "1945;1(6):80-83" in exact.reference.text
    assert "SPSS Statistics Algorithms" in spss.reference.text
    assert "SPSS" not in exact.reference.text


def test_describe_gives_counts_statistic_z_p_and_method() -> None:
    result = wilcoxon_signed_rank(ECSTASY_SUNDAY, ECSTASY_WEDNESDAY, label="BDI, ecstasy")
    sentence = result.describe()
    assert sentence == (
        "Wilcoxon signed-rank test (paired) of BDI, ecstasy: 8 pairs used (2 zero differences "
        "dropped, 0 missing), T = 0, Z = -2.527, p = 0.01151 (two-sided, SPSS asymptotic, "
        "no continuity correction)."
    )
    assert "\n" not in sentence


def test_unequal_lengths_are_refused_with_both_lengths() -> None:
    with pytest.raises(InputError, match=r"as many values as 'before' \(3\)"):
        wilcoxon_signed_rank([1, 2, 3], [1, 2])


def test_no_usable_pair_is_refused() -> None:
    with pytest.raises(InputError, match="1 missing, 2 with a zero difference"):
        wilcoxon_signed_rank([1, 2, None], [1, 2, 3])
    with pytest.raises(InputError, match="at least one pair"):
        wilcoxon_signed_rank([], [])


def test_non_numeric_and_infinite_values_are_refused() -> None:
    with pytest.raises(InputError, match=r"before\[1\]"):
        wilcoxon_signed_rank([1, "2", 3], [2, 3, 4])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"after\[0\].*finite"):
        wilcoxon_signed_rank([1, 2], [float("inf"), 3])


def test_options_that_do_not_apply_are_refused() -> None:
    with pytest.raises(ValueError, match="only the two-sided"):
        wilcoxon_signed_rank(*WITH_TIES, method="spss", alternative="greater")
    with pytest.raises(ValueError, match="correction=True applies only"):
        wilcoxon_signed_rank(*WITH_TIES, method="exact", correction=True)
    with pytest.raises(ValueError, match="method must be one of"):
        wilcoxon_signed_rank(*WITH_TIES, method="asymptotic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alternative must be one of"):
        wilcoxon_signed_rank(*WITH_TIES, alternative="two_sided")  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    before = [1.0, None, 3.0, 4.0]
    after = [2.0, 2.0, 3.0, 1.0]
    copies = (list(before), list(after))
    wilcoxon_signed_rank(before, after, method="exact")
    assert (before, after) == copies


def test_result_is_frozen() -> None:
    result = wilcoxon_signed_rank(*TIE_FREE)
    assert isinstance(result, WilcoxonResult)
    with pytest.raises(AttributeError):
        result.p_value = 0.5  # type: ignore[misc]


# Small integers make ties and zeros frequent; n stays small so "exact" stays fast.
_values = st.integers(min_value=-6, max_value=6)
_pairs = st.lists(st.tuples(_values, _values), min_size=1, max_size=14).filter(
    lambda pairs: any(b != a for b, a in pairs)
)
_methods = st.sampled_from(["exact", "approx", "spss"])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(pairs=_pairs, method=_methods)
def test_rank_sums_add_up_to_n_n_plus_1_over_2(pairs: list[tuple[int, int]], method: str) -> None:
    before, after = zip(*pairs, strict=True)
    result = wilcoxon_signed_rank(list(before), list(after), method=method)  # type: ignore[arg-type]
    n = result.n_used
    assert result.w_plus + result.w_minus == n * (n + 1) / 2
    assert 0.0 <= result.p_value <= 1.0
    assert n + result.n_zero_differences_dropped + result.n_missing_pairs == len(pairs)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    pairs=_pairs,
    method=_methods,
)
def test_swapping_before_and_after_swaps_the_rank_sums(
    pairs: list[tuple[int, int]], method: str
) -> None:
    before, after = (list(side) for side in zip(*pairs, strict=True))
    forward = wilcoxon_signed_rank(before, after, method=method)  # type: ignore[arg-type]
    backward = wilcoxon_signed_rank(after, before, method=method)  # type: ignore[arg-type]
    assert (forward.w_plus, forward.w_minus) == (backward.w_minus, backward.w_plus)
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-12)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(pairs=_pairs, alternative=st.sampled_from(ALTERNATIVES), correction=st.booleans())
def test_one_sided_p_values_are_probabilities_and_complementary(
    pairs: list[tuple[int, int]], alternative: str, correction: bool
) -> None:
    before, after = (list(side) for side in zip(*pairs, strict=True))
    exact = wilcoxon_signed_rank(before, after, method="exact", alternative=alternative)  # type: ignore[arg-type]
    approx = wilcoxon_signed_rank(
        before,
        after,
        method="approx",
        alternative=alternative,  # type: ignore[arg-type]
        correction=correction,
    )
    assert 0.0 <= exact.p_value <= 1.0
    assert 0.0 <= approx.p_value <= 1.0
    if alternative == "greater":
        less = wilcoxon_signed_rank(before, after, method="exact", alternative="less")
        # P(W+ >= w) + P(W+ <= w) = 1 + P(W+ = w) >= 1.
        assert exact.p_value + less.p_value >= 1.0 - 1e-12


def test_to_frame_is_one_row_of_numbers() -> None:
    import polars as pl

    result = wilcoxon_signed_rank(
        [15, 35, 16, 18, 19, 17, 27, 16, 13, 20], [28, 35, 35, 24, 39, 32, 27, 29, 36, 35]
    )
    frame = result.to_frame()
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert (row["n_used"], row["n_zero_differences_dropped"], row["tie_groups"]) == (8, 2, 2)
    assert row["p_value"] == result.p_value
    assert frame.schema["n_used"] == pl.Int64


def test_describe_never_prints_a_p_value_of_zero() -> None:
    """Regression: a p value below printing precision must not read as p = 0."""
    result = wilcoxon_signed_rank(list(range(200)), [value + 1000 + value for value in range(200)])
    assert result.p_value < 0.0001
    text = result.describe()
    assert "p < 0.0001" in text
    assert "p = 0 " not in text
    assert "p = 0." not in text


def test_remarks_count_in_words_without_parenthesised_plurals() -> None:
    result = wilcoxon_signed_rank([1.0, None, 3.0, 4.0], [2.0, 5.0, 3.0, 6.0])
    assert all("(s)" not in remark for remark in result.remarks)
    assert "1 pair with a missing value excluded (not treated as 0)." in result.remarks

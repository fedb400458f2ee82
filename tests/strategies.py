"""Shared Hypothesis strategies for dresskit inputs."""

from __future__ import annotations

from hypothesis import strategies as st

from dresskit.scoring import regiscar

#: Every direct answer each RegiSCAR item accepts, read from the instrument's input model
#: vocabulary (levels included), so strategies cover the whole answer space.
REGISCAR_DIRECT_ANSWERS: dict[str, tuple[str, ...]] = {
    item: tuple(answers) for item, answers in regiscar.POINTS.items()
}


@st.composite
def regiscar_direct_answers(draw: st.DrawFn) -> dict[str, str]:
    """A complete RegiSCAR input answered with words (no raw values)."""
    return {
        item: draw(st.sampled_from(answers)) for item, answers in REGISCAR_DIRECT_ANSWERS.items()
    }


def eosinophil_counts() -> st.SearchStrategy[dict[str, float]]:
    """Raw eosinophil values that are mutually consistent (count = wbc x pct)."""
    return st.builds(
        lambda wbc, pct: {
            "eosinophils_per_ul": round(wbc * pct / 100, 3),
            "wbc_per_ul": wbc,
            "eosinophils_pct": pct,
        },
        st.floats(min_value=100, max_value=100_000, allow_nan=False),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    )

"""Export a bundle as REDCap records (repeating instruments) with its data dictionary."""

from __future__ import annotations

import numpy as np
import polars as pl

from dresskit.bundle import Bundle, as_text
from dresskit.bundle.schema import (
    TABLES,
)
from dresskit.registry.redcap.forms import (
    _FIELDS,
    _FORMS,
    RECORD_ID,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
    redcap_data_dictionary,
)


def _decimal_text(series: pl.Series) -> pl.Series:
    """Write floats as REDCap ``number`` accepts them: '.' decimals, no exponent, no '.0'."""
    text = series.cast(pl.Utf8).str.replace(r"\.0$", "")
    exponent = text.str.contains("e", literal=True).fill_null(False)
    if exponent.any():
        positions = exponent.arg_true()
        values = [np.format_float_positional(series[int(i)], trim="-") for i in positions.to_list()]
        text = text.scatter(positions, values)
    return text.alias(series.name)


def _text_table(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [name for name, dtype in frame.schema.items() if dtype == pl.Float64]
    text = as_text(frame)
    if floats:
        text = text.with_columns([_decimal_text(frame.get_column(name)) for name in floats])
    return text


def _bundle_tables(bundle: Bundle) -> dict[str, pl.DataFrame]:
    return {
        form.table: _text_table(
            getattr(bundle, form.table).select([c.name for c in TABLES[form.table]])
        )
        for form in _FORMS
    }


def redcap_export(bundle: Bundle) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Export a bundle as REDCap records (repeating instruments) and its data dictionary.

    Parameters
    ----------
    bundle
        A validated bundle; it is not modified.

    Returns
    -------
    tuple of polars.DataFrame
        ``(records, data_dictionary)``. ``records`` has ``record_id`` (the patient id),
        ``redcap_repeat_instrument``, ``redcap_repeat_instance``, then every field of the
        dictionary form by form, each form followed by its ``<form>_complete`` status; every
        cell is text. Write both with :meth:`polars.DataFrame.write_csv` for REDCap's
        "Data Import Tool" and "Data Dictionary" upload.

    References
    ----------
    .. [1] REDCap online help, "Data Dictionary" and "Repeating instruments and events"
       (Vanderbilt University, https://projectredcap.org).

    Examples
    --------
    >>> from pathlib import Path
    >>> import dresskit
    >>> from dresskit.bundle import read_bundle
    >>> examples = Path(dresskit.__file__).parents[2] / "examples"  # in a source checkout
    >>> records, dictionary = redcap_export(read_bundle(examples / "shen2024"))
    >>> records.select("record_id", "redcap_repeat_instrument", "redcap_repeat_instance").row(1)
    ('SHENP', 'episode', '1')
    """
    tables = _bundle_tables(bundle)
    records = tables["patients"].select(
        pl.col("patient_id"), pl.int_range(pl.len(), dtype=pl.Int64).alias("__record")
    )
    episode_patient = tables["episodes"].select("episode_id", "patient_id")
    parts = []
    for number, form in enumerate(_FORMS):
        frame = tables[form.table].with_row_index("__position")
        if form.table not in ("patients", "episodes"):
            frame = frame.join(episode_patient, on="episode_id", how="left")
        frame = frame.join(records, on="patient_id", how="left").sort("__position")
        renamed = [
            pl.col(field.column.name).replace(field.to_redcap).alias(field.name)
            if field.to_redcap
            else pl.col(field.column.name).alias(field.name)
            for field in _FIELDS
            if field.form is form
        ]
        instance = (
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("patient_id")
            if form.repeating
            else pl.lit(None, dtype=pl.Int64)
        )
        parts.append(
            frame.select(
                pl.col("patient_id").alias(RECORD_ID),
                pl.lit(form.name if form.repeating else None, dtype=pl.Utf8).alias(
                    REPEAT_INSTRUMENT
                ),
                instance.alias("__instance"),
                *renamed,
                pl.lit("2").alias(f"{form.name}_complete"),
                pl.col("__record"),
                pl.lit(number, dtype=pl.Int64).alias("__form"),
            )
        )
    columns = [RECORD_ID, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    for form in _FORMS:
        columns += [field.name for field in _FIELDS if field.form is form]
        columns.append(f"{form.name}_complete")
    combined = pl.concat(parts, how="diagonal").sort(
        ["__record", "__form", "__instance"], nulls_last=False, maintain_order=True
    )
    records_frame = combined.with_columns(
        pl.col("__instance").cast(pl.Utf8).alias(REPEAT_INSTANCE)
    ).select([pl.col(name).cast(pl.Utf8) for name in columns])
    return records_frame, redcap_data_dictionary()


# --- import ----------------------------------------------------------------------------------

"""PostgreSQL's binary ``COPY`` format, encoded column by column from a polars frame.

Binary ``COPY`` spares the server from parsing text (numbers, dates, quoting): on the
project machine it loads the observation table about 1.6x faster than CSV. psycopg's own
binary writer works row by row in Python, far slower than the server for millions of rows, so
the rows are laid out here with numpy, a chunk at a time.

The format (PostgreSQL 15 documentation, SQL command ``COPY``, "Binary Format"): an 11-byte
signature, a 32-bit flags field and a 32-bit header-extension length; then, per row, a 16-bit
field count and, per field, a 32-bit byte length (-1 for NULL) followed by the value in the
type's binary ("send") form; then a 16-bit -1 trailer. Everything is big-endian. The forms
used here: ``text``/``varchar`` as UTF-8 bytes, ``date`` as a 32-bit count of days from
2000-01-01, ``double precision`` as an IEEE 754 float8 and ``integer`` as a 32-bit integer.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "BATCH_ROWS",
    "HEADER",
    "TRAILER",
    "CopyWriter",
    "WireKind",
    "encode_rows",
    "write_frame",
]

#: Signature, flags (no OIDs) and an empty header extension.
HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
#: The field count -1 that ends the data.
TRAILER: Final = struct.pack("!h", -1)

#: Days from 1970-01-01 (polars' date origin) to 2000-01-01 (PostgreSQL's).
_POSTGRES_EPOCH_DAYS: Final = 10_957
_INT4_RANGE: Final = (-(2**31), 2**31 - 1)

WireKind = Literal["text", "date", "float8", "int4"]

#: Rows encoded at a time by :func:`write_frame`: a few tens of MB per chunk.
BATCH_ROWS: Final = 100_000


class CopyWriter(Protocol):
    """Where ``COPY ... FROM STDIN`` data goes (psycopg's ``Copy`` object)."""

    def write(self, buffer: bytes, /) -> None:
        """Send ``buffer`` to the server."""


_Bytes = npt.NDArray[np.uint8]
_Int = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Field:
    """One column's encoded values: per-row payload sizes (0 for NULL) and the payload."""

    null: npt.NDArray[np.bool_]
    sizes: _Int
    #: Fixed width: an (n, width) block, one row per value (NULL rows are not written).
    fixed: _Bytes | None = None
    #: Variable width: the non-NULL values' bytes, one after the other.
    variable: _Bytes | None = None


def _fixed(values: npt.NDArray[np.generic], null: npt.NDArray[np.bool_], dtype: str) -> _Field:
    width = np.dtype(dtype).itemsize
    block = np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(-1, width)
    sizes = np.where(null, 0, width).astype(np.int64)
    return _Field(null=null, sizes=sizes, fixed=block)


def _field(series: pl.Series, kind: WireKind) -> _Field:
    null = series.is_null().to_numpy()
    if kind == "date":
        days = series.cast(pl.Date).cast(pl.Int32).fill_null(0).to_numpy()
        return _fixed(days - _POSTGRES_EPOCH_DAYS, null, ">i4")
    if kind == "float8":
        return _fixed(series.cast(pl.Float64).fill_null(0.0).to_numpy(), null, ">f8")
    if kind == "int4":
        integers = series.cast(pl.Int64).fill_null(0).to_numpy()
        if len(integers) and (integers.min() < _INT4_RANGE[0] or integers.max() > _INT4_RANGE[1]):
            raise ValueError(f"column {series.name!r} holds integers beyond 32 bits")
        return _fixed(integers, null, ">i4")
    if series.dtype == pl.Time:
        series = series.dt.strftime("%H:%M")
    text = series.cast(pl.Utf8)
    sizes = text.str.len_bytes().fill_null(0).cast(pl.Int64).to_numpy()
    joined = text.drop_nulls().str.join("").item() if text.len() > text.null_count() else ""
    data = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
    return _Field(null=null, sizes=sizes, variable=data)


def _scatter(out: _Bytes, starts: _Int, block: _Bytes) -> None:
    """Write row i of ``block`` (n x width bytes) at ``out[starts[i]:]``."""
    if len(starts):
        out[starts[:, None] + np.arange(block.shape[1])] = block


def encode_rows(frame: pl.DataFrame, kinds: Mapping[str, WireKind]) -> bytes:
    """Encode every row of ``frame`` as binary ``COPY`` tuples (no header, no trailer).

    ``kinds`` gives each column's wire form, matching the target column's SQL type.

    Raises
    ------
    ValueError
        For an integer that does not fit the ``integer`` column type (32 bits).
    """
    count = frame.height
    fields = [_field(frame.get_column(name), kinds[name]) for name in frame.columns]
    row_sizes = np.full(count, 2, dtype=np.int64)
    for field in fields:
        row_sizes += 4 + field.sizes
    row_starts = np.zeros(count, dtype=np.int64)
    np.cumsum(row_sizes[:-1], out=row_starts[1:])
    out = np.empty(int(row_sizes.sum()), dtype=np.uint8)
    field_count = np.full(count, len(fields), dtype=">i2").view(np.uint8).reshape(-1, 2)
    _scatter(out, row_starts, field_count)
    position = row_starts + 2
    for field in fields:
        lengths = np.where(field.null, -1, field.sizes).astype(">i4")
        _scatter(out, position, lengths.view(np.uint8).reshape(-1, 4))
        payload = position + 4
        if field.fixed is not None:
            present = ~field.null
            _scatter(out, payload[present], field.fixed[present])
        elif field.variable is not None and len(field.variable):
            # Byte k of the value that starts at data offset o goes to payload + (k - o).
            offsets = np.cumsum(field.sizes) - field.sizes
            destination = np.repeat(payload - offsets, field.sizes)
            destination += np.arange(len(field.variable), dtype=np.int64)
            out[destination] = field.variable
        position = payload + field.sizes
    return out.tobytes()


def write_frame(
    copy: CopyWriter,
    frame: pl.DataFrame,
    kinds: Mapping[str, WireKind],
    *,
    batch: int = BATCH_ROWS,
) -> None:
    """Write a whole binary ``COPY`` stream of ``frame``: header, every row, trailer.

    The next chunk of ``batch`` rows is encoded in a second thread while the server takes the
    current one (numpy and polars release the interpreter lock), so encoding costs little
    wall time; at most two chunks are held encoded at once.

    Raises
    ------
    ValueError
        For an integer that does not fit the ``integer`` column type (32 bits).
    """
    starts = iter(range(0, frame.height, batch))
    with ThreadPoolExecutor(max_workers=1) as encoder:
        pending = deque(
            encoder.submit(encode_rows, frame.slice(start, batch), kinds)
            for start in islice(starts, 2)
        )
        copy.write(HEADER)
        while pending:
            chunk = pending.popleft().result()
            for start in islice(starts, 1):
                pending.append(encoder.submit(encode_rows, frame.slice(start, batch), kinds))
            copy.write(chunk)
        copy.write(TRAILER)

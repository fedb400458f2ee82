"""The binary COPY encoder, checked by what a real PostgreSQL server reads from it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, time

import hypothesis.strategies as st
import polars as pl
import psycopg
import pytest
from hypothesis import given, settings
from sqlalchemy.engine import make_url

from dresskit.registry.copy_binary import HEADER, TRAILER, WireKind, encode_rows, write_frame

COLUMNS: dict[str, tuple[str, WireKind]] = {
    "label": ("text", "text"),
    "short": ("varchar(5)", "text"),
    "day": ("date", "date"),
    "amount": ("double precision", "float8"),
    "count": ("integer", "int4"),
}


@pytest.fixture(scope="module")
def connection(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as opened:
        yield opened


def _round_trip(connection: psycopg.Connection[tuple[object, ...]], frame: pl.DataFrame) -> list:
    """COPY ``frame`` into a new table in binary form and read its rows back in order."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    columns = ", ".join(f"{column} {COLUMNS[column][0]}" for column in frame.columns)
    connection.execute(f"CREATE TEMP TABLE {name} (position serial, {columns})")
    kinds = {column: COLUMNS[column][1] for column in frame.columns}
    listed = ", ".join(frame.columns)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {name} ({listed}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(HEADER + encode_rows(frame, kinds) + TRAILER)
        rows = cursor.execute(f"SELECT {listed} FROM {name} ORDER BY position").fetchall()
    connection.execute(f"DROP TABLE {name}")
    return rows


def test_header_and_trailer_are_postgresql_binary_copy_framing() -> None:
    # PostgreSQL 15 documentation, COPY, "Binary Format": signature, flags, extension length.
    assert HEADER == b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
    assert TRAILER == b"\xff\xff"


def test_every_kind_and_null_is_read_back_by_postgresql(
    connection: psycopg.Connection[tuple[object, ...]],
) -> None:
    frame = pl.DataFrame(
        {
            "label": ["E001", None, "éosinophilie ✓", ""],
            "short": ["08:00", "23:59", None, "x"],
            "day": [date(2000, 1, 1), date(1999, 12, 31), date(2024, 2, 29), None],
            "amount": [37.25, None, -0.1, 1e300],
            "count": [1, -2_147_483_648, None, 2_147_483_647],
        }
    )
    assert _round_trip(connection, frame) == frame.rows()


def test_times_enums_and_categories_are_sent_as_their_text(
    connection: psycopg.Connection[tuple[object, ...]],
) -> None:
    frame = pl.DataFrame(
        {
            "short": [time(8, 0), None, time(23, 59)],
            "label": pl.Series(["alt", "ast", None], dtype=pl.Enum(["alt", "ast"])),
        }
    )
    assert _round_trip(connection, frame) == [("08:00", "alt"), (None, "ast"), ("23:59", None)]


def test_an_empty_frame_encodes_to_no_bytes() -> None:
    frame = pl.DataFrame(schema={"label": pl.Utf8, "day": pl.Date})
    assert encode_rows(frame, {"label": "text", "day": "date"}) == b""


def test_an_integer_beyond_32_bits_is_refused_not_truncated() -> None:
    frame = pl.DataFrame({"count": [2**31]})
    with pytest.raises(ValueError, match="beyond 32 bits"):
        encode_rows(frame, {"count": "int4"})


_rows = st.lists(
    st.tuples(
        # Text a database can hold: no NUL, no lone surrogate (not encodable as UTF-8).
        st.none()
        | st.text(
            alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
            max_size=12,
        ),
        st.none() | st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
        st.none() | st.floats(allow_nan=False),
        st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(rows=_rows)
def test_any_frame_round_trips_through_postgresql(
    connection: psycopg.Connection[tuple[object, ...]], rows: list[tuple[object, ...]]
) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"label": pl.Utf8, "day": pl.Date, "amount": pl.Float64, "count": pl.Int64},
        orient="row",
    )
    assert _round_trip(connection, frame) == frame.rows()


class _Collected:
    """A COPY target that keeps what it is given (the writer's framing, checked offline)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, buffer: bytes, /) -> None:
        self.parts.append(buffer)


def test_write_frame_sends_header_every_row_in_order_and_trailer() -> None:
    frame = pl.DataFrame({"label": [f"row {n}" for n in range(10)], "count": list(range(10))})
    kinds: dict[str, WireKind] = {"label": "text", "count": "int4"}
    collected = _Collected()
    write_frame(collected, frame, kinds, batch=3)
    assert collected.parts[0] == HEADER
    assert collected.parts[-1] == TRAILER
    assert len(collected.parts) == 2 + 4  # ceil(10 / 3) chunks
    assert b"".join(collected.parts[1:-1]) == encode_rows(frame, kinds)


def test_write_frame_of_an_empty_frame_is_header_and_trailer() -> None:
    collected = _Collected()
    write_frame(
        collected, pl.DataFrame({"count": []}, schema={"count": pl.Int64}), {"count": "int4"}
    )
    assert collected.parts == [HEADER, TRAILER]


def test_write_frame_is_read_back_by_postgresql_across_chunks(
    connection: psycopg.Connection[tuple[object, ...]],
) -> None:
    frame = pl.DataFrame(
        {
            "label": [f"é{n}" if n % 4 else None for n in range(25)],
            "day": [date(2020, 1, 1 + n) for n in range(25)],
            "count": list(range(25)),
        }
    )
    kinds = {column: COLUMNS[column][1] for column in frame.columns}
    name = f"t_{uuid.uuid4().hex[:8]}"
    columns = ", ".join(f"{column} {COLUMNS[column][0]}" for column in frame.columns)
    connection.execute(f"CREATE TEMP TABLE {name} (position serial, {columns})")
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {name} (label, day, count) FROM STDIN (FORMAT binary)") as copy:
            write_frame(copy, frame, kinds, batch=7)
        rows = cursor.execute(f"SELECT label, day, count FROM {name} ORDER BY position").fetchall()
    assert rows == list(frame.iter_rows())

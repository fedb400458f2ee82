"""The patient list: the episodes an account may see, searched, filtered, sorted and paged.

The list is answered from the cached episode table of :mod:`dresskit.registry.episode_table`
(read again only when patient data changed, classes derived per episode and kept), so a
filter over ten thousand episodes reads one row of ``audit_head`` and filters a frame in
memory. An episode whose classes are still being derived is shown as such and left out of a
filter on a class (never guessed); the page says how many there are.

The site rule is that of :mod:`dresskit.registry.scoped`: an account sees the episodes of its
sites only, by id when its role sees identified data, else by pseudonym, with drug names
outside the shipped vocabulary as ``unlisted-drug``, no dates (follow-up in days instead) and
ages over 89 as ``90+``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl
from sqlalchemy import Engine

from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import Permission, allowed
from dresskit.registry.accounts import Account
from dresskit.registry.episode_table import INLINE_LIMIT, RESPONSE_STATES, episode_table
from dresskit.registry.scoped import EpisodeRef

__all__ = [
    "PER_PAGE_CHOICES",
    "REGISCAR_CLASSES",
    "RESPONSE_STATES",
    "RESPONSE_VALUES",
    "SORTS",
    "ListPage",
    "ListQuery",
    "ListedEpisode",
    "find_episode",
    "list_episodes",
    "parse_list_query",
]

#: RegiSCAR classes a list can be filtered by (``not scored``: the instrument refused the
#: data; ``unknown``: derivation failed, see the episode page).
REGISCAR_CLASSES: Final = ("definite", "probable", "possible", "no case", "not scored")
#: What a state can be: met, not met, or not decidable from the data.
RESPONSE_VALUES: Final = ("yes", "no", "unknown")
#: Sort keys and their words (``onset`` only for roles that see dates).
SORTS: Final[Mapping[str, str]] = {
    "onset": "onset date",
    "episode": "episode",
    "patient": "patient",
    "site": "site",
    "age": "age",
    "follow_up": "days of follow-up",
    "regiscar": "RegiSCAR total",
}
PER_PAGE_CHOICES: Final = (10, 25, 50, 100, 200)
_MAX_SEARCH: Final = 100
#: Every episode id matches the bundle's id pattern and every pseudonym is hex (as scoped).
_SHOWN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_OLDEST_AGE_SHOWN: Final = 89


@dataclass(frozen=True)
class ListQuery:
    """What the list is asked for; empty fields do not filter."""

    search: str = ""
    regiscar: tuple[str, ...] = ()
    response: tuple[str, str] | None = None
    drug: str | None = None
    sites: tuple[str, ...] = ()
    onset_from: date | None = None
    onset_to: date | None = None
    sort: str = "onset"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def is_filtered(self) -> bool:
        """Return whether anything narrows the list."""
        return bool(
            self.search
            or self.regiscar
            or self.response
            or self.drug
            or self.sites
            or self.onset_from
            or self.onset_to
        )


def _one(values: Mapping[str, list[str]], name: str) -> str | None:
    given = [value.strip() for value in values.get(name, []) if value.strip()]
    if len(given) > 1:
        raise InputError(name, ", ".join(given), "one value")
    return given[0] if given else None


def _date(values: Mapping[str, list[str]], name: str, problems: list[InputError]) -> date | None:
    text = _one(values, name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(InputError(name, text, "a date as YYYY-MM-DD"))
        return None


def _number(
    values: Mapping[str, list[str]], name: str, allowed_values: Iterable[int] | None, default: int
) -> tuple[int, InputError | None]:
    text = _one(values, name)
    if text is None:
        return default, None
    accepted = allowed_values and ", ".join(str(v) for v in allowed_values)
    if not text.isdigit() or len(text) > 6 or int(text) < 1:
        return default, InputError(name, text, accepted or "a whole number from 1")
    number = int(text)
    if allowed_values is not None and number not in allowed_values:
        return default, InputError(name, text, accepted or "")
    return number, None


def parse_list_query(params: Iterable[tuple[str, str]], *, identified: bool) -> ListQuery:
    """Read a list query from request parameters (``q``, ``regiscar``, ``response``, ...).

    Parameters
    ----------
    params
        ``(name, value)`` pairs as sent (a GET form's fields; empty values are ignored, and
        so are names the list does not know, such as htmx's own).
    identified
        Whether the reader sees dates: a researcher may not filter or sort by date (a
        filter on dates would reveal them one query at a time).

    Raises
    ------
    InputErrors
        Every parameter refused, each naming the value and what is accepted.
    """
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    problems: list[InputError] = []
    try:
        search = _one(values, "q") or ""
    except InputError as error:
        problems.append(error)
        search = ""
    if len(search) > _MAX_SEARCH:
        problems.append(InputError("q", search[:40] + "...", f"at most {_MAX_SEARCH} characters"))
        search = ""
    regiscar = tuple(dict.fromkeys(v for v in values.get("regiscar", []) if v))
    bad = [v for v in regiscar if v not in REGISCAR_CLASSES]
    if bad:
        problems.append(InputError("regiscar", ", ".join(bad), "; ".join(REGISCAR_CLASSES)))
    response = None
    try:
        response_text = _one(values, "response")
    except InputError as error:
        problems.append(error)
        response_text = None
    if response_text is not None:
        state, _, value = response_text.partition(":")
        if state in RESPONSE_STATES and value in RESPONSE_VALUES:
            response = (state, value)
        else:
            problems.append(
                InputError(
                    "response",
                    response_text,
                    "STATE:VALUE, STATE one of "
                    + ", ".join(RESPONSE_STATES)
                    + " and VALUE one of "
                    + ", ".join(RESPONSE_VALUES),
                )
            )
    drug = None
    try:
        drug = _one(values, "drug")
    except InputError as error:
        problems.append(error)
    if drug is not None and len(drug) > _MAX_SEARCH:
        problems.append(InputError("drug", drug[:40] + "...", f"at most {_MAX_SEARCH} characters"))
        drug = None
    sites = tuple(dict.fromkeys(v.strip() for v in values.get("site", []) if v.strip()))
    onset_from = _date(values, "onset_from", problems)
    onset_to = _date(values, "onset_to", problems)
    if not identified:
        for name, given in (("onset_from", onset_from), ("onset_to", onset_to)):
            if given is not None:
                problems.append(
                    InputError(name, str(given), "nothing: de-identified data carry no dates")
                )
    sorts = [name for name in SORTS if identified or name != "onset"]
    sort = _one_or(values, "sort", problems) or ("onset" if identified else "episode")
    if sort not in sorts:
        problems.append(InputError("sort", sort, ", ".join(sorts)))
        sort = sorts[0]
    order = _one_or(values, "order", problems) or "asc"
    if order not in ("asc", "desc"):
        problems.append(InputError("order", order, "asc, desc"))
    page, page_problem = _number(values, "page", None, 1)
    per_page, per_page_problem = _number(values, "per_page", PER_PAGE_CHOICES, 50)
    problems += [p for p in (page_problem, per_page_problem) if p is not None]
    if problems:
        raise InputErrors(problems)
    return ListQuery(
        search=search,
        regiscar=regiscar,
        response=response,
        drug=drug,
        sites=sites,
        onset_from=onset_from,
        onset_to=onset_to,
        sort=sort,
        descending=order == "desc",
        page=page,
        per_page=per_page,
    )


def _one_or(values: Mapping[str, list[str]], name: str, problems: list[InputError]) -> str | None:
    try:
        return _one(values, name)
    except InputError as error:
        problems.append(error)
        return None


@dataclass(frozen=True)
class ListedEpisode:
    """One row of the list, as this reader may see it.

    ``regiscar_class`` and ``response`` are ``None`` while the episode's classes are still
    being derived; ``onset`` is ``None`` for a reader who sees no dates; ``age`` ``None`` when
    not recorded.
    """

    episode: str
    patient: str
    site: str
    sex: str
    age: str | None
    phenotype: str
    onset: date | None
    follow_up_days: int
    outcome: str
    suspect_drugs: tuple[str, ...]
    regiscar_class: str | None
    regiscar_total: float | None
    response: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class ListPage:
    """One page of the list and what the controls offer.

    ``matching`` episodes match the query out of ``visible`` the reader may see; ``pending``
    of the visible ones still have their classes being derived (``derivation_problem`` says
    why derivation stopped, if it did).
    """

    rows: tuple[ListedEpisode, ...]
    matching: int
    visible: int
    page: int
    pages: int
    per_page: int
    pending: int
    derivation_problem: str | None
    drug_choices: tuple[str, ...]
    site_choices: tuple[str, ...]


# --- the query -------------------------------------------------------------------------------


def find_episode(engine: Engine, account: Account, shown: str) -> EpisodeRef | None:
    """Return the episode ``account`` calls ``shown``, or None (absent or not allowed).

    The rule of :func:`dresskit.registry.scoped.resolve_episode` (a test checks both agree
    for every account and name), answered from the cached episode table: a researcher's
    pseudonym is found without computing the pseudonyms of every episode per request.
    """
    identified = allowed(account.role, Permission.VIEW_IDENTIFIED)
    if not isinstance(shown, str) or not _SHOWN.fullmatch(shown) or not account.sites:
        return None
    if not (identified or allowed(account.role, Permission.VIEW_DEIDENTIFIED)):
        return None
    base = episode_table(engine, derive=False).frame
    column = "episode_id" if identified else "episode_shown"
    found = base.filter(pl.col(column) == shown)
    if found.height != 1:
        return None
    row = found.row(0, named=True)
    if row["site"] not in account.sites:
        return None
    if identified:
        return EpisodeRef(
            row["episode_id"], row["patient_id"], row["site"], shown, row["patient_id"]
        )
    return EpisodeRef(
        row["episode_id"], row["patient_id"], row["site"], shown, row["patient_shown"]
    )


def _age_text(age: int | None, identified: bool) -> str | None:
    if age is None:
        return None
    return f"{_OLDEST_AGE_SHOWN + 1}+" if not identified and age > _OLDEST_AGE_SHOWN else str(age)


def list_episodes(
    engine: Engine, account: Account, query: ListQuery, *, inline_limit: int = INLINE_LIMIT
) -> ListPage:
    """Return the page of the list ``query`` asks for, of the episodes ``account`` may see.

    Parameters
    ----------
    engine
        The registry.
    account
        The reader: its sites bound the list; its role decides ids or pseudonyms.
    query
        From :func:`parse_list_query`.
    inline_limit
        Derive the classes of up to this many changed episodes during the call; more are
        derived in the background (the page says how many are pending).
    """
    identified = allowed(account.role, Permission.VIEW_IDENTIFIED)
    if not account.sites or not (identified or allowed(account.role, Permission.VIEW_DEIDENTIFIED)):
        return ListPage((), 0, 0, 1, 1, query.per_page, 0, None, (), ())
    snapshot = episode_table(engine, inline_limit=inline_limit)
    frame = snapshot.frame
    visible = frame.filter(pl.col("site").is_in(list(account.sites)))
    drugs_column = "suspects" if identified else "suspects_shown"
    drug_choices = tuple(
        sorted(visible.get_column(drugs_column).explode().drop_nulls().unique().to_list())
    )
    chosen = visible
    if query.sites:
        chosen = chosen.filter(pl.col("site").is_in(list(query.sites)))
    if query.search:
        haystack = "haystack" if identified else "haystack_shown"
        chosen = chosen.filter(pl.col(haystack).str.contains(query.search.lower(), literal=True))
    if query.drug:
        chosen = chosen.filter(pl.col(drugs_column).list.contains(query.drug))
    if query.regiscar:
        chosen = chosen.filter(pl.col("regiscar_class").is_in(list(query.regiscar)))
    if query.response is not None:
        state_name, value = query.response
        chosen = chosen.filter(pl.col(state_name) == value)
    if query.onset_from is not None:
        chosen = chosen.filter(pl.col("onset_date") >= query.onset_from)
    if query.onset_to is not None:
        chosen = chosen.filter(pl.col("onset_date") <= query.onset_to)
    shown_id = "episode_id" if identified else "episode_shown"
    columns = {
        "onset": "onset_date",
        "episode": shown_id,
        "patient": "patient_id" if identified else "patient_shown",
        "site": "site",
        "age": "age",
        "follow_up": "follow_up_days",
        "regiscar": "regiscar_total",
    }
    sort_by = [columns[query.sort], shown_id]
    chosen = chosen.sort(sort_by, descending=[query.descending, False], nulls_last=True)
    matching = chosen.height
    pages = max(1, -(-matching // query.per_page))
    page = min(query.page, pages)
    rows = chosen.slice((page - 1) * query.per_page, query.per_page)
    pending = visible.filter(pl.col("episode_id").is_in(list(snapshot.deriving))).height
    problem = snapshot.problem
    listed = tuple(
        ListedEpisode(
            episode=row[shown_id],
            patient=row["patient_id"] if identified else row["patient_shown"],
            site=row["site"],
            sex=row["sex"],
            age=_age_text(row["age"], identified),
            phenotype=str(row["phenotype"]).replace("_", " "),
            onset=row["onset_date"] if identified else None,
            follow_up_days=row["follow_up_days"],
            outcome=str(row["outcome"]).replace("_", " "),
            suspect_drugs=tuple(row[drugs_column]),
            regiscar_class=row["regiscar_class"],
            regiscar_total=row["regiscar_total"],
            response=None
            if row["hyporesponsive"] is None
            else tuple((RESPONSE_STATES[name], row[name]) for name in RESPONSE_STATES),
        )
        for row in rows.iter_rows(named=True)
    )
    return ListPage(
        rows=listed,
        matching=matching,
        visible=visible.height,
        page=page,
        pages=pages,
        per_page=query.per_page,
        pending=pending,
        derivation_problem=problem,
        drug_choices=drug_choices,
        site_choices=tuple(account.sites),
    )

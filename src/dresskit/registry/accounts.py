"""Accounts, sites, sign-in, browser sessions and personal API tokens.

* **Passwords** are hashed with Argon2id (argon2-cffi's defaults: RFC 9106's second
  recommended option, t=3, m=64 MiB, p=4) [1]_. A password has 12 to 256 characters and is
  not the username; there are no composition rules and no expiry, as NIST SP 800-63B
  advises [2]_. There are no default passwords: an account starts with a password given
  by its creator or with a one-time setup link (its token's SHA-256 stored; valid 24 h).
* **Sign-in throttling**: after :data:`MAX_FAILED_SIGN_INS` failures in a row an account is
  locked for :data:`LOCKOUT` (OWASP Authentication Cheat Sheet [3]_); every failure, lockout
  and sign-in is written to the audit trail. The message never says whether the username
  exists.
* **Sessions and tokens** are 256-bit random values (``secrets.token_urlsafe(32)``); only
  their SHA-256 is stored, so a copy of the database signs no one in. A sign-in always starts
  a new session (no session fixation [3]_); sessions end after :data:`SESSION_LIFETIME`.

References
----------
.. [1] Biryukov A, Dinu D, Khovratovich D, Josefsson S. Argon2 memory-hard function for
   password hashing and proof-of-work applications. RFC 9106, 2021 (section 4).
.. [2] NIST SP 800-63B, Digital Identity Guidelines: Authentication and Lifecycle Management,
   section 5.1.1.2 (memorized secret verifiers).
.. [3] OWASP Cheat Sheet Series: Authentication, and Session Management.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, func, select, update

from dresskit.errors import DresskitError, InputError
from dresskit.registry import audit
from dresskit.registry.access import Role
from dresskit.registry.db import writing
from dresskit.registry.schema import table

__all__ = [
    "LOCKOUT",
    "MAX_FAILED_SIGN_INS",
    "SESSION_LIFETIME",
    "Account",
    "ApiToken",
    "SignInError",
    "WebSession",
    "account",
    "accounts",
    "add_site",
    "authenticate",
    "change_password",
    "create_api_token",
    "create_user",
    "end_session",
    "grant_sites",
    "revoke_api_token",
    "session_for",
    "set_active",
    "set_role",
    "sites",
    "start_session",
    "token_account",
    "tokens_of",
    "use_setup_token",
    "validate_password",
]

MAX_FAILED_SIGN_INS: Final = 5
LOCKOUT: Final = timedelta(minutes=15)
SESSION_LIFETIME: Final = timedelta(hours=8)
SETUP_LIFETIME: Final = timedelta(hours=24)
MIN_PASSWORD: Final = 12
MAX_PASSWORD: Final = 256

_USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_SITE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_HASHER: Final = PasswordHasher()
# Verified when the username does not exist, so that both answers take as long.
_DUMMY_HASH: Final = _HASHER.hash(secrets.token_urlsafe(16))


class SignInError(DresskitError):
    """A sign-in was refused (wrong username or password, locked or inactive account)."""


@dataclass(frozen=True, slots=True)
class Account:
    """One account as the application sees it."""

    username: str
    role: Role
    sites: tuple[str, ...]
    active: bool
    has_password: bool
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser session: its account and its CSRF token."""

    account: Account
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A personal API token as listed (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _username(value: str) -> str:
    if not isinstance(value, str) or not _USERNAME.fullmatch(value):
        raise InputError(
            "username",
            value,
            "2 to 64 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    return value


def _site_name(value: str) -> str:
    if not isinstance(value, str) or not _SITE.fullmatch(value):
        raise InputError(
            "site",
            value,
            "1 to 64 characters: lowercase letters, digits, '_' or '-', "
            "starting with a letter or digit",
        )
    return value


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputError("role", value, "one of " + ", ".join(r.value for r in Role)) from None


def validate_password(password: str, *, username: str) -> str:
    """Return ``password`` if acceptable (12-256 characters, not the username) [2]_.

    Raises
    ------
    InputError
        Naming what is accepted (the password itself is never echoed).
    """
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError("password", "(hidden)", f"{MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.casefold() == username.casefold():
        raise InputError("password", "(hidden)", "a password that is not the username")
    return password


def _account(connection: Connection, row: Any) -> Account:
    grants = table("user_sites")
    role = Role(row.role)
    if role == Role.ADMIN:
        granted = tuple(
            connection.execute(select(table("sites").c.name).order_by("name")).scalars()
        )
    else:
        granted = tuple(
            connection.execute(
                select(grants.c.site).where(grants.c.username == row.username).order_by("site")
            ).scalars()
        )
    return Account(
        username=row.username,
        role=role,
        sites=granted,
        active=bool(row.active),
        has_password=row.password_hash is not None,
        locked_until=_aware(row.locked_until),
    )


def _user_row(connection: Connection, username: str) -> Any:
    users = table("users")
    return connection.execute(select(users).where(users.c.username == username)).one_or_none()


def _require_sites(connection: Connection, names: Iterable[str]) -> list[str]:
    wanted = [_site_name(n) for n in names]
    known = set(connection.execute(select(table("sites").c.name)).scalars())
    for name in wanted:
        if name not in known:
            raise InputError("site", name, "a site of the registry: " + ", ".join(sorted(known)))
    return wanted


def add_site(engine: Engine, name: str, title: str, *, actor: str) -> None:
    """Create a site (a hospital or unit; REDCap's data access group).

    Raises
    ------
    InputError
        For a malformed name or title, or a name already used.
    """
    _site_name(name)
    if not title or len(title) > 200 or any(ord(c) < 32 for c in title):
        raise InputError("title", title, "1 to 200 printable characters")
    with writing(engine).begin() as connection:
        sites_table = table("sites")
        if connection.execute(select(sites_table.c.name).where(sites_table.c.name == name)).first():
            raise InputError("site", name, "a name not already used")
        connection.execute(sites_table.insert().values(name=name, title=title, created_at=_now()))
        audit.append(
            connection,
            actor=actor,
            action="create",
            entity="site",
            entity_id=name,
            after={"title": title},
        )


def sites(engine: Engine) -> list[tuple[str, str]]:
    """Return every site as ``(name, title)``, by name."""
    sites_table = table("sites")
    with engine.connect() as connection:
        query = select(sites_table.c.name, sites_table.c.title).order_by(sites_table.c.name)
        return [(str(n), str(t)) for n, t in connection.execute(query)]


def create_user(
    engine: Engine,
    username: str,
    *,
    role: Role | str,
    sites: Iterable[str] = (),
    password: str | None = None,
    actor: str,
) -> str | None:
    """Create an account; return its one-time setup token when no password is given.

    The setup token (valid :data:`SETUP_LIFETIME`) lets the user choose a password once
    (:func:`use_setup_token`); only its SHA-256 is stored.

    Raises
    ------
    InputError
        For a malformed or taken username, an unknown role or site, or a password refused by
        :func:`validate_password`.
    """
    _username(username)
    chosen = _role(role)
    hashed = _HASHER.hash(validate_password(password, username=username)) if password else None
    setup = None if password else secrets.token_urlsafe(32)
    now = _now()
    with writing(engine).begin() as connection:
        if _user_row(connection, username) is not None:
            raise InputError("username", username, "a username not already used")
        granted = _require_sites(connection, sites)
        connection.execute(
            table("users")
            .insert()
            .values(
                username=username,
                role=chosen.value,
                password_hash=hashed,
                setup_token_hash=_digest(setup) if setup else None,
                setup_expires_at=now + SETUP_LIFETIME if setup else None,
                active=True,
                failed_sign_ins=0,
                locked_until=None,
                created_at=now,
                password_changed_at=now if hashed else None,
            )
        )
        if granted:
            connection.execute(
                table("user_sites").insert(), [{"username": username, "site": s} for s in granted]
            )
        audit.append(
            connection,
            actor=actor,
            action="create",
            entity="user",
            entity_id=username,
            after={"role": chosen.value, "sites": granted, "setup_link": setup is not None},
        )
    return setup


def account(engine: Engine, username: str) -> Account | None:
    """Return the account ``username``, or None."""
    with engine.connect() as connection:
        row = _user_row(connection, username)
        return None if row is None else _account(connection, row)


def accounts(engine: Engine) -> list[Account]:
    """Return every account, by username."""
    with engine.connect() as connection:
        rows = connection.execute(select(table("users")).order_by("username")).all()
        return [_account(connection, row) for row in rows]


def grant_sites(engine: Engine, username: str, site_names: Iterable[str], *, actor: str) -> None:
    """Set the sites ``username`` may see (replacing the previous grant)."""
    with writing(engine).begin() as connection:
        if _user_row(connection, username) is None:
            raise InputError("username", username, "an existing account")
        granted = _require_sites(connection, site_names)
        grants = table("user_sites")
        before = list(
            connection.execute(select(grants.c.site).where(grants.c.username == username)).scalars()
        )
        connection.execute(delete(grants).where(grants.c.username == username))
        if granted:
            connection.execute(
                grants.insert(), [{"username": username, "site": s} for s in granted]
            )
        _audit_user_update(
            connection,
            username,
            actor=actor,
            before={"sites": sorted(before)},
            after={"sites": sorted(granted)},
        )


def _end_user_sessions(connection: Connection, username: str) -> None:
    """End every web session of ``username`` (deactivated, or a new password)."""
    sessions = table("web_sessions")
    connection.execute(delete(sessions).where(sessions.c.username == username))


def _audit_user_update(
    connection: Connection,
    username: str,
    *,
    actor: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any],
) -> None:
    """Record in the audit trail that ``actor`` changed the account ``username``."""
    audit.append(
        connection,
        actor=actor,
        action="update",
        entity="user",
        entity_id=username,
        before=before,
        after=after,
    )


def _change_user(
    engine: Engine, username: str, values: dict[str, Any], *, actor: str, shown: dict[str, Any]
) -> None:
    users = table("users")
    with writing(engine).begin() as connection:
        row = _user_row(connection, username)
        if row is None:
            raise InputError("username", username, "an existing account")
        before = {key: getattr(row, key) for key in shown}
        connection.execute(update(users).where(users.c.username == username).values(**values))
        if "active" in values and not values["active"]:
            _end_user_sessions(connection, username)
        _audit_user_update(connection, username, actor=actor, before=before, after=shown)


def set_role(engine: Engine, username: str, role: Role | str, *, actor: str) -> None:
    """Change the role of ``username``."""
    chosen = _role(role)
    _change_user(
        engine, username, {"role": chosen.value}, actor=actor, shown={"role": chosen.value}
    )


def set_active(engine: Engine, username: str, active: bool, *, actor: str) -> None:
    """Activate or deactivate ``username`` (deactivating ends its sessions); unlocks it."""
    _change_user(
        engine,
        username,
        {"active": active, "failed_sign_ins": 0, "locked_until": None},
        actor=actor,
        shown={"active": active},
    )


def authenticate(
    engine: Engine, username: str, password: str, *, now: datetime | None = None
) -> Account:
    """Check a username and password; return the account, or raise :class:`SignInError`.

    A failure counts towards the lockout; :data:`MAX_FAILED_SIGN_INS` in a row lock the
    account for :data:`LOCKOUT`. Failures, lockouts and sign-ins are audited (actor: the
    username given, which may not exist).
    """
    moment = now or _now()
    users = table("users")
    name = username if isinstance(username, str) else ""
    signed_in: Account | None = None
    # The transaction commits the counted failure and its audit record; the refusal is
    # raised after it (raising inside would roll them back).
    with writing(engine).begin() as connection:
        row = _user_row(connection, name[:64]) if _USERNAME.fullmatch(name) else None
        if row is None or row.password_hash is None:
            with contextlib.suppress(VerificationError):
                _HASHER.verify(_DUMMY_HASH, password or "")
            _audit_sign_in(connection, name, "sign_in_failed", {"reason": "unknown account"})
        elif not row.active or ((_aware(row.locked_until) or moment) > moment):
            reason = "inactive" if not row.active else "locked"
            _audit_sign_in(connection, name, "sign_in_failed", {"reason": reason})
        elif not _password_matches(row.password_hash, password):
            failures = row.failed_sign_ins + 1
            lock = failures >= MAX_FAILED_SIGN_INS
            until = moment + LOCKOUT if lock else None
            connection.execute(
                update(users)
                .where(users.c.username == name)
                .values(failed_sign_ins=0 if lock else failures, locked_until=until)
            )
            _audit_sign_in(
                connection,
                name,
                "locked" if lock else "sign_in_failed",
                {"failures": failures, "locked_until": until.isoformat() if until else None},
            )
        else:
            values: dict[str, Any] = {"failed_sign_ins": 0, "locked_until": None}
            if _HASHER.check_needs_rehash(row.password_hash):
                values["password_hash"] = _HASHER.hash(password)
            connection.execute(update(users).where(users.c.username == name).values(**values))
            _audit_sign_in(connection, name, "sign_in", None)
            signed_in = _account(connection, _user_row(connection, name))
    if signed_in is None:
        raise SignInError("the username or password is wrong, or the account is locked")
    return signed_in


def _password_matches(stored: str, password: object) -> bool:
    try:
        return bool(_HASHER.verify(stored, password if isinstance(password, str) else ""))
    except (VerificationError, InvalidHashError, VerifyMismatchError):
        return False


def _audit_sign_in(
    connection: Connection, username: str, action: str, details: dict[str, Any] | None
) -> None:
    audit.append(
        connection,
        actor=username[:200] or "(blank)",
        action=action,
        entity="user",
        entity_id=username[:200] or None,
        after=details,
    )


def start_session(
    engine: Engine, username: str, *, replacing: str | None = None
) -> tuple[str, str]:
    """Start a session for ``username``; return ``(cookie value, CSRF token)``.

    The session ``replacing`` (the cookie the browser sent, if any) is ended: a sign-in never
    keeps a session id chosen before it (session fixation).
    """
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    sessions = table("web_sessions")
    with writing(engine).begin() as connection:
        if replacing:
            connection.execute(delete(sessions).where(sessions.c.token_hash == _digest(replacing)))
        connection.execute(delete(sessions).where(sessions.c.expires_at < now))
        connection.execute(
            sessions.insert().values(
                token_hash=_digest(token),
                username=username,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return token, csrf


def session_for(engine: Engine, cookie: str | None) -> WebSession | None:
    """Return the live session of a cookie value, or None (unknown, expired or inactive)."""
    if not cookie or len(cookie) > 128:
        return None
    sessions = table("web_sessions")
    users = table("users")
    with engine.connect() as connection:
        row = connection.execute(
            select(sessions.c.csrf_token, sessions.c.expires_at, users)
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token_hash == _digest(cookie))
        ).one_or_none()
        if row is None or not row.active:
            return None
        expires = _aware(row.expires_at)
        if expires is None or expires <= _now():
            return None
        return WebSession(_account(connection, row), row.csrf_token, expires)


def end_session(engine: Engine, cookie: str | None) -> None:
    """End the session of a cookie value (sign-out); nothing happens for an unknown one."""
    if not cookie:
        return
    sessions = table("web_sessions")
    with writing(engine).begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.token_hash == _digest(cookie)))


def change_password(engine: Engine, username: str, current: str, new: str) -> None:
    """Change a password after checking the current one; ends the user's other sessions.

    Raises
    ------
    SignInError
        When ``current`` is wrong (counts towards the lockout).
    InputError
        When ``new`` is refused by :func:`validate_password`.
    """
    validate_password(new, username=username)
    authenticate(engine, username, current)
    _set_password(engine, username, new, actor=username)


def _set_password(engine: Engine, username: str, new: str, *, actor: str) -> None:
    users = table("users")
    now = _now()
    with writing(engine).begin() as connection:
        connection.execute(
            update(users)
            .where(users.c.username == username)
            .values(
                password_hash=_HASHER.hash(new),
                password_changed_at=now,
                setup_token_hash=None,
                setup_expires_at=None,
                failed_sign_ins=0,
                locked_until=None,
            )
        )
        _end_user_sessions(connection, username)
        _audit_user_update(connection, username, actor=actor, after={"password": "changed"})


def use_setup_token(engine: Engine, token: str, new: str) -> str:
    """Set the first password with a one-time setup token; return the username.

    Raises
    ------
    SignInError
        For an unknown, used or expired token.
    InputError
        When ``new`` is refused by :func:`validate_password`.
    """
    users = table("users")
    if not token or len(token) > 128:
        raise SignInError("this setup link is unknown, used or expired")
    with engine.connect() as connection:
        row = connection.execute(
            select(users).where(users.c.setup_token_hash == _digest(token))
        ).one_or_none()
    expires = _aware(row.setup_expires_at) if row is not None else None
    if row is None or expires is None or expires <= _now():
        raise SignInError("this setup link is unknown, used or expired")
    validate_password(new, username=row.username)
    _set_password(engine, row.username, new, actor=row.username)
    return str(row.username)


def create_api_token(engine: Engine, username: str, name: str) -> str:
    """Create a personal API token for ``username``; return it (shown once, stored hashed)."""
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise InputError("name", name, "1 to 100 printable characters")
    token = "dk_" + secrets.token_urlsafe(32)
    with writing(engine).begin() as connection:
        if _user_row(connection, username) is None:
            raise InputError("username", username, "an existing account")
        connection.execute(
            table("api_tokens")
            .insert()
            .values(username=username, name=name, token_hash=_digest(token), created_at=_now())
        )
        audit.append(
            connection,
            actor=username,
            action="create",
            entity="api_token",
            entity_id=username,
            after={"name": name},
        )
    return token


def tokens_of(engine: Engine, username: str) -> list[ApiToken]:
    """Return the API tokens of ``username`` (newest first), revoked ones included."""
    tokens = table("api_tokens")
    with engine.connect() as connection:
        rows = connection.execute(
            select(tokens).where(tokens.c.username == username).order_by(tokens.c.id.desc())
        ).all()
    return [
        ApiToken(
            r.id,
            r.name,
            _aware(r.created_at) or _now(),
            _aware(r.last_used_at),
            _aware(r.revoked_at),
        )
        for r in rows
    ]


def revoke_api_token(engine: Engine, username: str, token_id: int) -> None:
    """Revoke one of ``username``'s tokens (it stops working at once)."""
    tokens = table("api_tokens")
    with writing(engine).begin() as connection:
        result = connection.execute(
            update(tokens)
            .where(tokens.c.id == token_id, tokens.c.username == username)
            .where(tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        if result.rowcount != 1:
            raise InputError("token", token_id, "one of your tokens that is not revoked")
        audit.append(
            connection,
            actor=username,
            action="revoke",
            entity="api_token",
            entity_id=str(token_id),
        )


def token_account(engine: Engine, token: str | None) -> Account | None:
    """Return the active account of a live API token, or None."""
    if not token or len(token) > 128 or not token.startswith("dk_"):
        return None
    tokens = table("api_tokens")
    users = table("users")
    grants = table("user_sites")
    digest = _digest(token)
    with engine.connect() as connection:
        # One round trip: the token, its account and the account's grants (a row per site).
        rows = connection.execute(
            select(users, tokens.c.last_used_at, tokens.c.token_hash, grants.c.site)
            .join(users, users.c.username == tokens.c.username)
            .outerjoin(grants, grants.c.username == users.c.username)
            .where(tokens.c.token_hash == digest, tokens.c.revoked_at.is_(None))
            .order_by(grants.c.site)
        ).all()
        row = rows[0] if rows else None
        if row is None or not row.active or not hmac.compare_digest(row.token_hash, digest):
            return None
        if Role(row.role) == Role.ADMIN:
            found = _account(connection, row)
        else:
            found = Account(
                username=row.username,
                role=Role(row.role),
                sites=tuple(r.site for r in rows if r.site is not None),
                active=bool(row.active),
                has_password=row.password_hash is not None,
                locked_until=_aware(row.locked_until),
            )
    last = _aware(row.last_used_at)
    now = _now()
    # Recorded at most once a minute, so that a burst of calls does not write each time.
    if last is None or now - last > timedelta(minutes=1):
        with engine.begin() as connection:
            connection.execute(
                update(tokens).where(tokens.c.token_hash == digest).values(last_used_at=now)
            )
    return found


def patient_site_counts(engine: Engine) -> dict[str, int]:
    """Return how many patients each site holds."""
    patient_sites = table("patient_sites")
    with engine.connect() as connection:
        query = select(patient_sites.c.site, func.count()).group_by(patient_sites.c.site)
        return {str(s): int(n) for s, n in connection.execute(query)}

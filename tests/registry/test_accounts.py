"""Accounts, sign-in throttling, sessions, setup links, API tokens and sites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dresskit.bundle import read_bundle
from dresskit.errors import InputError
from dresskit.registry import audit
from dresskit.registry.accounts import (
    LOCKOUT,
    MAX_FAILED_SIGN_INS,
    SignInError,
    account,
    add_site,
    authenticate,
    create_api_token,
    create_user,
    end_session,
    revoke_api_token,
    session_for,
    set_active,
    start_session,
    token_account,
    use_setup_token,
)
from dresskit.registry.schema import table
from dresskit.registry.store import ImportRefusedError, import_bundle

PASSWORD = "correct horse battery staple"
EXAMPLES = Path(__file__).parents[2] / "examples"


def _actions(engine: Engine) -> list[str]:
    return [record.action for record in audit.records(engine)]


def test_a_password_is_stored_as_an_argon2id_hash(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", sites=["main"], password=PASSWORD, actor="t")
    with engine.connect() as connection:
        stored = connection.execute(select(table("users").c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize("password", ["short", "x" * 257, "ana-the-user"])
def test_a_weak_password_is_refused_without_echoing_it(engine: Engine, password: str) -> None:
    with pytest.raises(InputError) as refused:
        create_user(engine, "ana-the-user", role="clinician", password=password, actor="t")
    assert password not in str(refused.value)


@pytest.mark.parametrize(
    "username", ["", "A", "Ana", "ana smith", "../admin", "<script>", "a" * 65, "ana\x00"]
)
def test_a_malformed_username_is_refused(engine: Engine, username: str) -> None:
    with pytest.raises(InputError, match="username"):
        create_user(engine, username, role="clinician", password=PASSWORD, actor="t")


def test_an_unknown_role_or_site_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError, match="role"):
        create_user(engine, "ana", role="superuser", password=PASSWORD, actor="t")
    with pytest.raises(InputError, match="site"):
        create_user(
            engine, "ana", role="clinician", sites=["nowhere"], password=PASSWORD, actor="t"
        )


def test_five_failures_lock_the_account_and_are_audited(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", password=PASSWORD, actor="t")
    for _ in range(MAX_FAILED_SIGN_INS):
        with pytest.raises(SignInError):
            authenticate(engine, "ana", "wrong password here")
    with pytest.raises(SignInError):
        authenticate(engine, "ana", PASSWORD)  # locked: the right password is refused too
    actions = _actions(engine)
    assert actions.count("sign_in_failed") == MAX_FAILED_SIGN_INS
    assert actions.count("locked") == 1
    later = datetime.now(tz=UTC) + LOCKOUT + timedelta(seconds=1)
    assert authenticate(engine, "ana", PASSWORD, now=later).username == "ana"
    assert _actions(engine)[-1] == "sign_in"


def test_an_unknown_username_is_refused_like_a_wrong_password(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", password=PASSWORD, actor="t")
    with pytest.raises(SignInError) as unknown:
        authenticate(engine, "nobody", PASSWORD)
    with pytest.raises(SignInError) as wrong:
        authenticate(engine, "ana", "wrong password here")
    assert str(unknown.value) == str(wrong.value)


def test_a_deactivated_account_cannot_sign_in_and_loses_its_sessions(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", password=PASSWORD, actor="t")
    cookie, _ = start_session(engine, "ana")
    set_active(engine, "ana", False, actor="admin")
    assert session_for(engine, cookie) is None
    with pytest.raises(SignInError):
        authenticate(engine, "ana", PASSWORD)


def test_a_new_session_ends_the_one_it_replaces(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", password=PASSWORD, actor="t")
    old, _ = start_session(engine, "ana")
    new, csrf = start_session(engine, "ana", replacing=old)
    assert session_for(engine, old) is None
    live = session_for(engine, new)
    assert live is not None
    assert live.csrf_token == csrf
    end_session(engine, new)
    assert session_for(engine, new) is None


def test_only_the_hash_of_a_session_is_stored(engine: Engine) -> None:
    create_user(engine, "ana", role="clinician", password=PASSWORD, actor="t")
    cookie, _ = start_session(engine, "ana")
    with engine.connect() as connection:
        stored = connection.execute(select(table("web_sessions").c.token_hash)).scalar_one()
    assert cookie != stored
    assert len(stored) == 64


def test_a_setup_link_works_once(engine: Engine) -> None:
    token = create_user(engine, "ana", role="coordinator", actor="t")
    assert token is not None
    found = account(engine, "ana")
    assert found is not None
    assert not found.has_password
    assert use_setup_token(engine, token, PASSWORD) == "ana"
    with pytest.raises(SignInError):
        use_setup_token(engine, token, PASSWORD + "!")
    assert authenticate(engine, "ana", PASSWORD).username == "ana"


def test_a_revoked_api_token_stops_working(engine: Engine) -> None:
    create_user(engine, "ana", role="researcher", password=PASSWORD, actor="t")
    token = create_api_token(engine, "ana", "laptop")
    found = token_account(engine, token)
    assert found is not None
    assert found.username == "ana"
    revoke_api_token(engine, "ana", 1)
    assert token_account(engine, token) is None
    assert token_account(engine, "dk_" + "x" * 43) is None


def test_an_admin_sees_every_site_and_others_their_grants(engine: Engine) -> None:
    add_site(engine, "north", "North", actor="t")
    create_user(engine, "root", role="admin", password=PASSWORD, actor="t")
    create_user(engine, "ana", role="clinician", sites=["north"], password=PASSWORD, actor="t")
    admin, ana = account(engine, "root"), account(engine, "ana")
    assert admin is not None
    assert ana is not None
    assert admin.sites == ("main", "north")
    assert ana.sites == ("north",)


def test_an_import_holding_another_sites_patient_is_refused_whole(engine: Engine) -> None:
    add_site(engine, "north", "North", actor="t")
    bundle = read_bundle(EXAMPLES / "shen2024")
    import_bundle(engine, bundle, actor="t", source="shen2024", site="main")
    records = len(audit.records(engine))
    with pytest.raises(ImportRefusedError, match="another site"):
        import_bundle(engine, bundle, actor="t", source="again", site="north")
    assert len(audit.records(engine)) == records


def test_an_import_into_an_unknown_site_is_refused(engine: Engine) -> None:
    bundle = read_bundle(EXAMPLES / "shen2024")
    with pytest.raises(ImportRefusedError, match="does not have"):
        import_bundle(engine, bundle, actor="t", source="shen2024", site="nowhere")

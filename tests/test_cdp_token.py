"""`sandbox cdp-token`: the token it prints is accepted by a live sandbox, as curl would send it,
in default mode and in strict mode with the key declared; and it is shaped as cdp-sdk signs."""

from __future__ import annotations

import jwt
import pytest
from cdp.auth.utils.jwt import JwtOptions, generate_jwt

from sandbox.cdptoken import mint, new_key
from sandbox.cli import main
from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.cdp_calls import BASE, session_body


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    assert main(["cdp-token", *argv]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def _pair(text: str) -> tuple[str, str]:
    values = dict(line.split("=", 1) for line in text.splitlines() if line.startswith("CDP_API_KEY"))
    return values["CDP_API_KEY_ID"], values["CDP_API_KEY_SECRET"]


def test_a_minted_token_is_accepted_by_a_live_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    import httpx

    with serve_in_thread(make_app()) as url:
        token, err = _cli(capsys, "POST", url + BASE)  # no key: a fresh one, printed on stderr
        key_id, _ = _pair(err)
        created = httpx.post(url + BASE, json=session_body(), headers={"Authorization": f"Bearer {token.strip()}"})
        assert created.status_code == 200, created.text
        # the key id names the tenant: a token for another key does not see the session
        session = f"{url}{BASE}/{created.json()['paymentSessionId']}"
        mine, _ = _cli(capsys, "GET", session)
        assert httpx.get(session, headers={"Authorization": f"Bearer {mine.strip()}"}).status_code == 404
        assert jwt.decode(token.strip(), options={"verify_signature": False})["sub"] == key_id


def test_strict_mode_accepts_a_declared_key_and_refuses_another_url(capsys: pytest.CaptureFixture[str]) -> None:
    import httpx

    key_id, secret = _pair(_cli(capsys, "--new-key")[0])
    app = make_app(providers={"cdp": {"api_keys": [{"id": key_id, "secret": secret}]}})
    with serve_in_thread(app) as url:
        token, err = _cli(capsys, "POST", url + BASE, "--key-id", key_id, "--key-secret", secret)
        assert err == ""
        headers = {"Authorization": f"Bearer {token.strip()}"}
        assert httpx.post(url + BASE, json=session_body(), headers=headers).status_code == 200
        assert httpx.get(url + BASE, headers=headers).status_code == 401  # signed for POST, not GET
        other, _ = _cli(capsys, "POST", url + BASE)  # a key the scenario does not declare
        refused = httpx.post(url + BASE, json=session_body(), headers={"Authorization": f"Bearer {other.strip()}"})
        assert refused.status_code == 401


@pytest.mark.parametrize("host", ["127.0.0.1:4242", "localhost:4242", "api.cdp.coinbase.com"])
def test_the_token_is_what_cdp_sdk_signs(host: str) -> None:
    key_id, secret = new_key()
    ours = mint("post", f"http://{host}{BASE}?x=1", key_id, secret)
    theirs = generate_jwt(
        JwtOptions(
            api_key_id=key_id, api_key_secret=secret, request_method="POST", request_host=host, request_path=BASE
        )
    )
    unchecked = {"verify_signature": False}
    ours_claims, theirs_claims = jwt.decode(ours, options=unchecked), jwt.decode(theirs, options=unchecked)
    assert ours_claims.keys() == theirs_claims.keys() and ours_claims["uris"] == theirs_claims["uris"]
    assert ours_claims["exp"] - ours_claims["nbf"] == 120
    ours_header, theirs_header = jwt.get_unverified_header(ours), jwt.get_unverified_header(theirs)
    assert ours_header.keys() == theirs_header.keys() and ours_header["alg"] == theirs_header["alg"] == "EdDSA"


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["cdp-token"], ["cdp-token", "FETCH", "http://x/y"], ["cdp-token", "GET", "/relative"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    assert "method must be one of GET, POST" in capsys.readouterr().err

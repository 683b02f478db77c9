"""Codes by SMS through a real HTTP gateway: signing up holds the phone, a forgotten password
is reset with one, and neither step tells anyone whether a number has an account."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import Api, Receiver, build_app, dispose, receiving, running_worker, wipe
from voicebox.extensions import limiter

PHONE = "+8613812345678"


@pytest.fixture(scope="module", params=["production", "embedded"])
def texting(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Each profile with phone verification on, texting through a gateway of the test's own from
    a real worker (a text goes after the commit, as a task); one for the module, since a worker
    takes seconds to start and stop."""
    with receiving() as gateway:
        env = {
            **request.getfixturevalue(f"{request.param}_env"),
            "VOICEBOX_SMS": "http",
            "VOICEBOX_SMS_GATEWAY_URL": gateway,
            "VOICEBOX_PHONE_VERIFICATION": "on",
        }
        built = build_app(env)
        with running_worker(env, tmp_path_factory.mktemp("texting") / "worker.log"):
            yield built
        dispose(built)


@pytest.fixture
def verifying(texting: Flask) -> Iterator[Api]:
    """A client of that app, with nothing texted yet and no rate limit used up."""
    Receiver.statuses, Receiver.received, Receiver.keys = [], [], []
    limiter.init_app(texting)
    limiter.reset()
    yield Api(texting.test_client())
    wipe(texting)


def texts(count: int) -> list[dict]:
    """The first ``count`` texts the gateway was asked to send, oldest first, once the worker
    has sent them; each POST is signed."""
    deadline = time.monotonic() + 60
    while len(Receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(Receiver.received) >= count, Receiver.received
    assert all(signature.startswith("sha256=") for _, signature in Receiver.received)
    return [json.loads(body) for body, _ in Receiver.received]


def code_in(text: str) -> str | None:
    found = re.search(r"\b(\d{6})\b", text)
    return found.group(1) if found else None


def sign_up(api: Api, code: str | None, phone: str = PHONE) -> object:
    body = {"phone": phone, "password": "correct horse", "display_name": "Mama", "role": "parent"}
    return api.post("/auth/register", {**body, **({"code": code} if code else {})})


def test_signing_up_needs_the_code_texted_to_the_number(verifying: Api) -> None:
    missing = sign_up(verifying, None)
    assert missing.status_code == 422 and "code" in missing.json["errors"]
    asked = verifying.post("/auth/phone-codes", {"phone": "138 1234 5678", "purpose": "register"})
    assert asked.status_code == 202
    (text,) = texts(1)
    code = code_in(text["text"])
    assert text["to"] == PHONE and code is not None
    assert sign_up(verifying, "000000" if code != "000000" else "111111").status_code == 422
    assert sign_up(verifying, code).status_code == 201
    # A registered number: the same answer, and a text that says so instead of a code.
    again = verifying.post("/auth/phone-codes", {"phone": PHONE, "purpose": "register"})
    assert again.status_code == asked.status_code and again.json == asked.json
    assert code_in(texts(2)[-1]["text"]) is None and "already has" in texts(2)[-1]["text"]
    # So registering it answers as a wrong code would, never "already exists".
    taken = sign_up(verifying, code)
    assert taken.status_code == 422 and "already" not in taken.json["detail"]


def test_a_forgotten_password_is_reset_with_a_texted_code(verifying: Api) -> None:
    verifying.post("/auth/phone-codes", {"phone": PHONE, "purpose": "register"})
    signed_up = sign_up(verifying, code_in(texts(1)[-1]["text"])).json
    session = Api(verifying.client, signed_up["token"])
    unknown = verifying.post("/auth/phone-codes", {"phone": "+8613900000001", "purpose": "reset"})
    asked = verifying.post("/auth/phone-codes", {"phone": PHONE, "purpose": "reset"})
    assert unknown.status_code == asked.status_code == 202 and unknown.json == asked.json
    no_account, reset = texts(3)[-2:]
    assert no_account["to"] == "+8613900000001" and code_in(no_account["text"]) is None
    code = code_in(reset["text"])
    wrong = verifying.post(
        "/auth/password-reset", {"phone": PHONE, "code": "12345", "new_password": "a new secret"}
    )
    assert wrong.status_code == 422
    done = verifying.post(
        "/auth/password-reset", {"phone": PHONE, "code": code, "new_password": "a new secret"}
    )
    assert done.status_code == 204
    assert session.get("/me").status_code == 401  # every session ends
    assert verifying.post("/auth/login", {"phone": PHONE, "password": "a new secret"}).status_code == 200
    used = verifying.post(
        "/auth/password-reset", {"phone": PHONE, "code": code, "new_password": "another one"}
    )
    assert used.status_code == 422


def test_a_code_is_void_after_five_wrong_guesses(verifying: Api) -> None:
    verifying.post("/auth/phone-codes", {"phone": PHONE, "purpose": "register"})
    code = code_in(texts(1)[-1]["text"])
    wrong = "000000" if code != "000000" else "111111"
    assert [sign_up(verifying, wrong).status_code for _ in range(5)] == [422] * 5
    assert sign_up(verifying, code).status_code == 422


def test_codes_are_limited_per_number_however_it_is_written(verifying: Api) -> None:
    ways = ["+8613812345678", "138 1234 5678", "0086 138-1234-5678", "13812345678"]
    statuses = [
        verifying.post("/auth/phone-codes", {"phone": way, "purpose": "register"}).status_code for way in ways
    ]
    assert statuses == [202, 202, 202, 429]
    assert len(texts(3)) == 3


def test_a_gateway_that_fails_is_tried_again(verifying: Api) -> None:
    Receiver.statuses = [503, 500]
    asked = verifying.post("/auth/phone-codes", {"phone": PHONE, "purpose": "register"})
    assert asked.status_code == 202  # the caller never waits on the gateway
    sent = texts(3)
    first, third = sent[0], sent[2]
    assert third["to"] == PHONE and code_in(third["text"]) is not None
    # The same text tried again: the same id, so a gateway that did send it drops the repeat.
    assert first["id"] == third["id"] and Receiver.keys[:3] == [third["id"]] * 3

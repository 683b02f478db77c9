"""Accounts over HTTP: register, login, logout, /me, admins and volunteer approval."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.conftest import Api, build_app, dispose
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import AuthToken, User


def test_register_parent_gets_token_and_user(anonymous: Api, app) -> None:
    response = anonymous.post(
        "/auth/register",
        {"phone": "138 0013 8000", "password": "long enough", "display_name": "Mama", "role": "parent"},
    )
    assert response.status_code == 201
    body = response.json
    assert body["user"]["role"] == "parent" and body["user"]["status"] == "active"
    assert set(body["user"]) == {"id", "role", "display_name", "status"}
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "+8613800138000"
        assert user.password_hash.startswith("$argon2id$") and "long enough" not in user.password_hash
        stored = db.session.scalar(select(AuthToken.token_hash))
        assert stored != body["token"] and len(stored) == 64


def test_volunteer_starts_pending(register) -> None:
    volunteer = register("volunteer")
    assert volunteer.user["status"] == "pending"
    assert volunteer.get("/me").json["status"] == "pending"


def test_same_phone_twice_is_a_conflict(anonymous: Api) -> None:
    body = {"phone": "+8613900000001", "password": "long enough", "display_name": "A", "role": "parent"}
    assert anonymous.post("/auth/register", body).status_code == 201
    again = anonymous.post("/auth/register", {**body, "phone": "13900000001"})
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"


def test_login_and_wrong_password(parent: Api, anonymous: Api) -> None:
    good = anonymous.post("/auth/login", {"phone": parent.phone, "password": "correct horse"})
    assert good.status_code == 200 and good.json["user"]["id"] == parent.user["id"]
    assert Api(anonymous.client, good.json["token"]).get("/me").status_code == 200
    wrong = anonymous.post("/auth/login", {"phone": parent.phone, "password": "wrong horse"})
    assert wrong.status_code == 401
    unknown = anonymous.post("/auth/login", {"phone": "+8613700000000", "password": "correct horse"})
    assert unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_logout_revokes_only_that_token(parent: Api, anonymous: Api) -> None:
    other = Api(
        anonymous.client,
        anonymous.post("/auth/login", {"phone": parent.phone, "password": "correct horse"}).json["token"],
    )
    assert parent.post("/auth/logout").status_code == 204
    assert parent.get("/me").status_code == 401
    assert other.get("/me").status_code == 200


def test_expired_token_is_refused(parent: Api, app) -> None:
    with app.app_context():
        db.session.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = parent.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_or_garbage_token_is_401(anonymous: Api) -> None:
    assert anonymous.get("/me").status_code == 401
    assert anonymous.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert anonymous.get("/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_admin_from_cli_approves_volunteer(app, register, anonymous: Api) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--phone", "+8613811112222", "--password", "admin password"]
    )
    assert result.exit_code == 0, result.output
    admin = Api(
        anonymous.client,
        anonymous.post("/auth/login", {"phone": "+8613811112222", "password": "admin password"}).json[
            "token"
        ],
    )
    assert admin.get("/me").json["role"] == "admin"
    volunteer = register("volunteer")
    pending = admin.get("/admin/volunteers?status=pending").json["items"]
    assert [v["id"] for v in pending] == [volunteer.user["id"]]
    approved = admin.post(f"/admin/volunteers/{volunteer.user['id']}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert volunteer.get("/me").json["status"] == "approved"
    assert admin.post("/admin/volunteers/nobody/approve").status_code == 404


def test_create_admin_twice_fails_cleanly(app) -> None:
    args = ["create-admin", "--phone", "+8613811113333", "--password", "admin password"]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    again = app.test_cli_runner().invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    long_name = app.test_cli_runner().invoke(
        args=[*args[:2], "+8613811113334", *args[3:], "--display-name", "x" * 41]
    )
    assert long_name.exit_code != 0 and "display name" in long_name.output


def test_only_admins_approve(parent: Api, register) -> None:
    volunteer = register("volunteer")
    assert parent.post(f"/admin/volunteers/{volunteer.user['id']}/approve").status_code == 403
    assert volunteer.post(f"/admin/volunteers/{volunteer.user['id']}/approve").status_code == 403


def test_login_is_rate_limited(anonymous: Api, parent: Api) -> None:
    statuses = [
        anonymous.post("/auth/login", {"phone": parent.phone, "password": "wrong horse"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = anonymous.post("/auth/login", {"phone": parent.phone, "password": "correct horse"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.content_type == "application/problem+json"
    assert limited.json["request_id"] == limited.headers["X-Request-ID"]


def test_supervisors_are_made_from_the_cli(app, anonymous: Api) -> None:
    args = ["create-supervisor", "--phone", "+8613811114444", "--password", "supervisor pw"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    login = anonymous.post("/auth/login", {"phone": "+8613811114444", "password": "supervisor pw"})
    assert login.json["user"]["role"] == "supervisor"
    register = {
        "phone": "+8613811115555",
        "password": "long enough",
        "display_name": "S",
        "role": "supervisor",
    }
    assert anonymous.post("/auth/register", register).status_code == 422


def test_behind_a_proxy_limits_follow_the_forwarded_client(embedded_env: dict) -> None:
    app = build_app(embedded_env, VOICEBOX_PROXY_HOPS="1")
    try:
        client = app.test_client()
        body = {"phone": "+8613700000001", "password": "wrong horse"}

        def attempt(address: str) -> int:
            return client.post(
                "/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address}
            ).status_code

        assert [attempt("203.0.113.7") for _ in range(11)][-1] == 429
        assert attempt("198.51.100.2") == 401
    finally:
        dispose(app)


def test_sign_ups_are_rate_limited(anonymous: Api) -> None:
    def sign_up(n: int) -> int:
        body = {
            "phone": f"+86139000001{n:02d}",
            "password": "long enough",
            "display_name": "A",
            "role": "parent",
        }
        return anonymous.post("/auth/register", body).status_code

    statuses = [sign_up(n) for n in range(11)]
    assert statuses[:10] == [201] * 10 and statuses[10] == 429


def login(anonymous: Api, phone: str, password: str = "correct horse") -> Api:
    response = anonymous.post("/auth/login", {"phone": phone, "password": password})
    assert response.status_code == 200, response.json
    return Api(anonymous.client, response.json["token"])


def test_a_new_password_ends_every_other_session(
    parent: Api, anonymous: Api, make_child, pair_device
) -> None:
    other_phone = login(anonymous, parent.phone)
    sessions = parent.get("/me/sessions").json["items"]
    assert len(sessions) == 2 and [s["current"] for s in sessions].count(True) == 1
    wrong = parent.put("/me/password", {"current_password": "not it at all", "new_password": "a new secret"})
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    short = parent.put("/me/password", {"current_password": "correct horse", "new_password": "short"})
    assert short.status_code == 422
    changed = parent.put(
        "/me/password", {"current_password": "correct horse", "new_password": "a new secret"}
    )
    assert changed.status_code == 204
    assert other_phone.get("/me").status_code == 401 and parent.get("/me").status_code == 200
    assert (
        anonymous.post("/auth/login", {"phone": parent.phone, "password": "correct horse"}).status_code == 401
    )
    login(anonymous, parent.phone, "a new secret")
    device = pair_device(make_child()["id"])
    assert (
        device.put("/me/password", {"current_password": "x", "new_password": "yyyyyyyy"}).status_code == 403
    )


def test_ending_one_session_or_every_session(parent: Api, anonymous: Api, register) -> None:
    lent, lost = login(anonymous, parent.phone), login(anonymous, parent.phone)
    ids = {s["id"] for s in parent.get("/me/sessions").json["items"]}
    mine = next(s["id"] for s in parent.get("/me/sessions").json["items"] if s["current"])
    lost_id = next(s["id"] for s in lost.get("/me/sessions").json["items"] if s["current"])
    assert len(ids) == 3
    # Nobody ends a session of someone else's account.
    assert register("parent", "Papa").delete(f"/me/sessions/{lost_id}").status_code == 404
    assert parent.delete(f"/me/sessions/{lost_id}").status_code == 204
    assert lost.get("/me").status_code == 401 and lent.get("/me").status_code == 200
    assert {s["id"] for s in parent.get("/me/sessions").json["items"]} == ids - {lost_id}
    assert parent.post("/auth/logout-everywhere").status_code == 204
    assert lent.get("/me").status_code == 401 and parent.get("/me").status_code == 401
    assert mine in ids

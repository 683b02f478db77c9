"""Whatever a client sends, the answer is a 4xx problem, never a 5xx, and nothing is lost."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import Api
from voicebox.extensions import db, limiter
from voicebox.models import Child, User

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "phone",
    "password",
    "display_name",
    "role",
    "birth_year",
    "timezone",
    "guardian_consent",
    "code",
    "device_name",
    "relation",
]
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))
path_ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=40
)

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_problem(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"
        assert {"type", "title", "status", "detail"} <= set(response.json)


@FUZZ
@given(body=bodies)
def test_json_endpoints_never_fail(body, parent: Api, anonymous: Api, make_child, pair_device, app) -> None:
    limiter.reset()  # each example is a fresh client; the limits have their own tests
    child = make_child()
    device = pair_device(child["id"])
    calls = [
        (anonymous, "/auth/register"),
        (anonymous, "/auth/login"),
        (anonymous, "/devices/pair"),
        (parent, "/children"),
        (parent, f"/children/{child['id']}/guardian-invites"),
        (parent, "/guardian-invites/accept"),
        (device, "/guardian-invites/accept"),
    ]
    with app.app_context():
        users_before = db.session.scalar(select(func.count()).select_from(User))
    for caller, path in calls:
        assert_problem(caller.post(path, body))
    with app.app_context():
        # Random bodies may register someone (a valid body is valid), but never half a someone.
        assert db.session.scalar(select(func.count()).select_from(User)) >= users_before
        assert db.session.scalar(select(func.count()).select_from(Child)) >= 1


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""]),
)
def test_non_json_bodies_never_fail(raw: bytes, content_type: str, parent: Api) -> None:
    limiter.reset()
    for path in ("/auth/register", "/children", "/devices/pair"):
        response = parent.client.post(
            f"/api/v1{path}",
            data=raw,
            content_type=content_type,
            headers={"Authorization": f"Bearer {parent.token}"},
        )
        assert_problem(response)


@FUZZ
@given(child_id=path_ids, device_id=path_ids)
def test_odd_ids_in_paths_are_404(child_id: str, device_id: str, parent: Api) -> None:
    for response in (
        parent.get(f"/children/{child_id}"),
        parent.get(f"/children/{child_id}/devices"),
        parent.delete(f"/children/{child_id}/devices/{device_id}"),
        parent.post(f"/children/{child_id}/pairing-code"),
    ):
        assert_problem(response)
        assert response.status_code in (308, 404, 405)  # 308: an id of only whitespace leaves "/children/"


# Found by tests/integration/test_fuzz.py, kept here as ordinary tests.


def test_a_device_removing_a_guardian_is_told_there_is_no_such_child(
    parent: Api, make_child, pair_device
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    response = device.delete(f"/children/{child['id']}/guardians/{parent.user['id']}")
    assert_problem(response)
    assert response.status_code == 404
    assert [g["id"] for g in parent.get(f"/children/{child['id']}/guardians").json["items"]] == [
        parent.user["id"]
    ]


def test_an_answer_without_a_body_has_no_content_type(anonymous: Api, parent: Api) -> None:
    capabilities = anonymous.options("/uploads")
    assert capabilities.status_code == 204 and "Content-Type" not in capabilities.headers
    logged_out = parent.post("/auth/logout")
    assert logged_out.status_code == 204 and "Content-Type" not in logged_out.headers

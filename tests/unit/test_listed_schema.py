"""ListedSchema dumps exactly what marshmallow's own Schema dumps, only faster."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, fields

from voicebox.api.schemas import ListedSchema, MessageSchema, Timestamp


class Inner(ListedSchema):
    name = fields.String()


class EveryKind(ListedSchema):
    plain = fields.String(allow_none=True)
    renamed = fields.Integer(attribute="stored_as", allow_none=True)
    keyed = fields.String(data_key="shown-as")
    defaulted = fields.String(dump_default="none given")
    made = fields.List(fields.Integer(), dump_default=list)
    at = Timestamp(allow_none=True)
    computed = fields.Method("double")
    dotted = fields.String(attribute="inner.name")
    inner = fields.Nested(Inner, allow_none=True)
    many = fields.List(fields.Nested(Inner))

    def double(self, obj: Any) -> int:
        return 2 * len(str(obj))


def marshmallows_own(schema: Schema, obj: Any, many: bool = False) -> Any:
    """What marshmallow itself dumps for ``schema``: its Schema's serialisation, not ours."""
    return Schema._serialize(schema, obj, many=many)


values = {
    "plain": st.none() | st.text(max_size=5),
    "stored_as": st.none() | st.integers(),
    "keyed": st.text(max_size=5),
    "defaulted": st.text(max_size=5),
    "made": st.lists(st.integers(), max_size=3),
    "at": st.none() | st.datetimes(timezones=st.just(UTC)),
    "inner": st.none() | st.builds(dict, name=st.text(max_size=5)),
    "many": st.lists(st.builds(dict, name=st.text(max_size=5)), max_size=2),
}


@given(
    present=st.fixed_dictionaries({}, optional=values),
    as_dict=st.booleans(),
)
def test_every_kind_of_field_dumps_as_marshmallow_dumps_it(present: dict, as_dict: bool) -> None:
    # Any attribute may be missing: marshmallow then takes the field's default, or leaves it out.
    obj: Any = present if as_dict else SimpleNamespace(**present)
    schema = EveryKind()
    assert schema.dump(obj) == marshmallows_own(schema, obj)
    assert schema.dump([obj, obj], many=True) == marshmallows_own(schema, [obj, obj], many=True)


def test_a_message_dumps_as_marshmallow_dumps_it() -> None:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    message = SimpleNamespace(
        id="m1",
        kind="story",
        title="The moon",
        story={"cover_text": None, "category": "bedtime", "episode": 2},
        urgent=False,
        queued=True,
        sender=SimpleNamespace(id="u1", display_name="Mama"),
        recipient=SimpleNamespace(id="c1", display_name="Xiaoming"),
        status="delivered",
        failure=None,
        duration_ms=61_000,
        waveform=[0, 50, 100],
        renditions=[{"format": "opus", "bitrate": 24_000, "bytes": 1_000}],
        position_ms=None,
        created_at=at,
        deliver_at=None,
        delivered_at=at,
        played_at=None,
    )
    schema = MessageSchema()
    dumped = schema.dump(message)
    assert dumped == marshmallows_own(schema, message)
    assert dumped["story"]["category"] == "bedtime" and dumped["delivered_at"] == "2026-11-29T12:00:00Z"

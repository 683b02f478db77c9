"""Recurring schedules, and everything still on its way to a child.

A guardian sets, per child, "at HH:MM on these weekdays, in the child's zone, deliver the next
item" of the family's queued stories, a story box, or a series. The planner turns each run
into an ordinary delivery row up to ``VOICEBOX_SCHEDULE_LOOKAHEAD_SECONDS`` ahead, so at
bedtime the dispatcher only drains delivery rows. The next item is the first, in the
source's order, that the child has not been given yet; a cancelled one counts as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Exists, and_, exists, func, select, update
from sqlalchemy.orm import aliased

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Invalid, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    BoxItem,
    Child,
    Delivery,
    Direction,
    Kind,
    LibraryStory,
    Message,
    MessageStatus,
    Recording,
    RecordingStatus,
    Schedule,
    Series,
    Source,
    Story,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.library import copies, stories
from voicebox.services.local_times import next_occurrence, parse_hhmm
from voicebox.services.messaging import delivery, message_views
from voicebox.services.messaging.message_views import MessageView
from voicebox.services.work import changed, use_case

BATCH = 200
MAX_SCHEDULES_PER_CHILD = 10
MAX_UPCOMING = 200


def _minute_of_day(time: str) -> int:
    try:
        return parse_hhmm(time)
    except ValueError:
        raise Invalid("A schedule runs at an HH:MM time.", {"time": ["Use HH:MM, e.g. 20:00."]}) from None


def _weekdays(days: list[int]) -> list[int]:
    if not days or any(not 1 <= day <= 7 for day in days):
        raise Invalid("Weekdays are 1 (Monday) to 7 (Sunday).", {"weekdays": ["Give 1 to 7, at least one."]})
    return sorted(set(days))


def _check_source(child: Child, source: str, box_id: str | None, series_id: str | None) -> None:
    if source == Source.QUEUE:
        if box_id or series_id:
            raise Invalid(
                "The queue needs no box or series.", {"source": ["Give box_id or series_id only with them."]}
            )
    elif source == Source.BOX:
        if not box_id:
            raise Invalid("Say which story box.", {"box_id": ["Required for a box."]})
        stories.box_given_to(child.id, box_id)
    elif source == Source.SERIES:
        series = db.session.get(Series, series_id) if series_id else None
        allowed = series is not None and (
            series.child_id == child.id
            or (series.org_id is not None and series.org_id in stories.given_orgs(child.id))
        )
        if not allowed:
            raise Invalid("No such series for this child.", {"series_id": ["Unknown series."]})


@use_case
def create(
    principal: Principal,
    child_id: str,
    time: str,
    weekdays: list[int],
    source: str = Source.QUEUE,
    box_id: str | None = None,
    series_id: str | None = None,
) -> Schedule:
    child = policy.guarded_child(principal, child_id)
    minute, days = _minute_of_day(time), _weekdays(weekdays)
    _check_source(child, source, box_id, series_id)
    count = db.session.scalar(select(func.count()).where(Schedule.child_id == child.id)) or 0
    if count >= MAX_SCHEDULES_PER_CHILD:
        raise Conflict(f"A child can have at most {MAX_SCHEDULES_PER_CHILD} schedules.")
    schedule = Schedule(
        child_id=child.id,
        created_by=user_of(principal).id,
        minute_of_day=minute,
        weekdays=days,
        source=source,
        box_id=box_id,
        series_id=series_id,
        paused=False,
        next_run_at=next_occurrence(utcnow(), child.timezone, minute, days),
    )
    db.session.add(schedule)
    return schedule


def list_schedules(principal: Principal, child_id: str) -> list[Schedule]:
    child = policy.guarded_child(principal, child_id)
    return list(
        db.session.scalars(
            select(Schedule).where(Schedule.child_id == child.id).order_by(Schedule.created_at, Schedule.id)
        )
    )


def _schedule_for(principal: Principal, schedule_id: str) -> tuple[Schedule, Child]:
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or not policy.is_guardian(principal, schedule.child_id):
        raise NotFound("No such schedule.")
    return schedule, db.session.get_one(Child, schedule.child_id)


@use_case
def update_schedule(
    principal: Principal,
    schedule_id: str,
    time: str | None = None,
    weekdays: list[int] | None = None,
    paused: bool | None = None,
) -> Schedule:
    """Change when a schedule runs, or pause and resume it. A run already planned is taken
    back; a resumed schedule runs next at its next time from now (missed runs are not made up)."""
    schedule, child = _schedule_for(principal, schedule_id)
    if time is not None:
        schedule.minute_of_day = _minute_of_day(time)
    if weekdays is not None:
        schedule.weekdays = _weekdays(weekdays)
    if paused is not None:
        schedule.paused = paused
    _unplan(schedule)
    schedule.next_run_at = next_occurrence(
        utcnow(), child.timezone, schedule.minute_of_day, schedule.weekdays
    )
    return schedule


def follow_zone(child: Child) -> None:
    """The child moved to another time zone (in the caller's transaction): each schedule runs
    at its wall-clock time there, and a run planned in the old zone is taken back."""
    for schedule in db.session.scalars(select(Schedule).where(Schedule.child_id == child.id)):
        _unplan(schedule)
        schedule.next_run_at = next_occurrence(
            utcnow(), child.timezone, schedule.minute_of_day, schedule.weekdays
        )


@use_case
def remove(principal: Principal, schedule_id: str) -> None:
    schedule, _ = _schedule_for(principal, schedule_id)
    _unplan(schedule)
    db.session.delete(schedule)


def _unplan(schedule: Schedule) -> None:
    """Take back the schedule's deliveries that have not arrived: their items go back to
    waiting (a library story's copy made for the run goes with it)."""
    pending = db.session.scalars(
        select(Delivery).where(Delivery.schedule_id == schedule.id, Delivery.delivered_at.is_(None))
    )
    for row in list(pending):
        message = db.session.get_one(Message, row.message_id)
        db.session.delete(row)
        if message.library_story_id is not None:
            db.session.delete(message)


@use_case
def plan_due() -> int:
    """Plan one batch of schedule runs due within the lookahead (one unit of work); returns
    how many ran.

    Rows are locked with SKIP LOCKED on PostgreSQL, and each run moves ``next_run_at`` with an
    update conditional on its old value, so two planners (or SQLite's) never plan a run twice.
    """
    now = utcnow()
    horizon = now + timedelta(seconds=current_settings().schedule_lookahead_seconds)
    due = db.session.execute(
        select(Schedule, Child)
        .join(Child, Child.id == Schedule.child_id)
        .where(Schedule.paused.is_(False), Schedule.next_run_at <= horizon)
        .order_by(Schedule.next_run_at)
        .limit(BATCH)
        # The child's row too: two of a child's schedules never pick the same item at once.
        .with_for_update(skip_locked=True, of=(Schedule, Child))
    ).all()
    for schedule, child in due:
        run_at = schedule.next_run_at
        following = next_occurrence(
            max(run_at, now), child.timezone, schedule.minute_of_day, schedule.weekdays
        )
        moved = changed(
            update(Schedule)
            .where(Schedule.id == schedule.id, Schedule.next_run_at == run_at)
            .values(next_run_at=following, last_run_at=run_at)
            .execution_options(synchronize_session=False)
        )
        if moved != 1:
            continue
        item = next_item(schedule, child)
        if isinstance(item, LibraryStory):
            copies.give(child, item, max(run_at, now), schedule_id=schedule.id)
        elif item is not None:
            delivery.give(child, item, max(run_at, now), schedule_id=schedule.id)
    return len(due)


def next_item(schedule: Schedule, child: Child) -> Message | LibraryStory | None:
    """The first item of the schedule's source the child has not been given: one of the
    family's messages, or a library story to copy."""
    if schedule.source == Source.QUEUE:
        return db.session.scalar(
            select(Message)
            .where(
                Message.child_id == child.id,
                Message.direction == Direction.TO_CHILD,
                Message.kind == Kind.STORY,
                Message.queued.is_(True),
                Message.status == MessageStatus.SCHEDULED,
                ~_delivered_to(child),
            )
            .order_by(Message.created_at, Message.id)
            .limit(1)
        )
    if schedule.source == Source.BOX:
        return db.session.scalar(
            select(LibraryStory)
            .join(BoxItem, BoxItem.story_id == LibraryStory.id)
            .join(Recording, Recording.id == LibraryStory.recording_id)
            .where(
                BoxItem.box_id == schedule.box_id,
                Recording.status == RecordingStatus.READY,
                ~_copied_for(child),
                # A box taken back from the child (or their group) brings nothing more.
                BoxItem.box_id.in_(stories.given_boxes(child.id)),
            )
            .order_by(BoxItem.position)
            .limit(1)
        )
    # Episode by episode: one still being transcoded holds back those after it.
    series = db.session.get_one(Series, schedule.series_id)
    episode: tuple[Message | LibraryStory, str] | None
    if series.org_id is not None:
        episode = (
            db.session.execute(
                select(LibraryStory, Recording.status)
                .join(Story, Story.id == LibraryStory.story_id)
                .join(Recording, Recording.id == LibraryStory.recording_id)
                .where(
                    Story.series_id == series.id,
                    Recording.status != RecordingStatus.FAILED,
                    LibraryStory.org_id.in_(stories.given_org_ids(child.id)),
                    ~_copied_for(child),
                )
                .order_by(Story.episode)
                .limit(1)
            )
            .tuples()
            .first()
        )
    else:
        episode = (
            db.session.execute(
                select(Message, Message.status)
                .join(Story, Story.id == Message.story_id)
                .where(
                    Story.series_id == series.id,
                    Message.status != MessageStatus.FAILED,
                    Message.direction == Direction.TO_CHILD,
                    ~_delivered_to(child),
                )
                .order_by(Story.episode)
                .limit(1)
            )
            .tuples()
            .first()
        )
    if episode is None or episode[1] in (MessageStatus.PROCESSING, RecordingStatus.PROCESSING):
        return None
    return episode[0]


def _delivered_to(child: Child) -> Exists:
    """The message has a delivery to the child (arrived, or planned)."""
    return exists().where(Delivery.message_id == Message.id, Delivery.child_id == child.id)


def _copied_for(child: Child) -> Exists:
    """The child has a copy of the library story (a cancelled one counts)."""
    copy = aliased(Message)
    return exists().where(copy.library_story_id == LibraryStory.id, copy.child_id == child.id)


@dataclass(frozen=True)
class Upcoming:
    """A message still on its way to the child: when it is due (None: when its turn in the
    queue comes, or once transcoded), and the schedule that planned it, if one did."""

    message: MessageView
    due_at: datetime | None
    schedule_id: str | None


def upcoming(principal: Principal, child_id: str) -> list[Upcoming]:
    """What has not reached the child yet, soonest first (at most MAX_UPCOMING)."""
    child = policy.guarded_child(principal, child_id)
    rows = db.session.execute(
        select(Message, Delivery.due_at, Delivery.schedule_id)
        .outerjoin(Delivery, and_(Delivery.message_id == Message.id, Delivery.delivered_at.is_(None)))
        .where(
            Message.child_id == child.id,
            Message.direction == Direction.TO_CHILD,
            Message.status.in_((MessageStatus.PROCESSING, MessageStatus.SCHEDULED)),
        )
        .limit(MAX_UPCOMING)
    ).all()
    items = [
        Upcoming(
            message_views.message_view_for(principal, message), due_at or message.deliver_at, schedule_id
        )
        for message, due_at, schedule_id in rows
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: (item.due_at or far, item.message.id))

"""Who may see and change what. Every access decision about a child is made here.

A resource the caller may not see is reported exactly as one that does not exist (NotFound),
so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import and_, select

from voicebox.errors import ConsentRequired, Forbidden, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    Child,
    Consent,
    Curatorship,
    Guardianship,
    HelpRequest,
    HelpStatus,
    Message,
    Organisation,
    Role,
    Upload,
    UserStatus,
)
from voicebox.services.accounts.tokens import Principal, user_of


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden("Your account cannot do this.")


def guarded_child(principal: Principal, child_id: str, *, consented: bool = True) -> Child:
    """The child, if the caller is one of their guardians; NotFound for anyone else. Unless
    ``consented`` is False, the guardian must have consented to the policy's current version
    (ConsentRequired): when the policy changes, they consent again before anything else."""
    if principal.user is None:
        raise NotFound("No such child.")
    version = current_settings().consent_policy_version
    found = db.session.execute(
        select(Child, Consent.id)
        .join(Guardianship, Guardianship.child_id == Child.id)
        .outerjoin(
            Consent,
            and_(
                Consent.child_id == Child.id,
                Consent.guardian_id == principal.user.id,
                Consent.policy_version == version,
            ),
        )
        .where(Child.id == child_id, Guardianship.user_id == principal.user.id)
        .limit(1)
    ).first()
    if found is None:
        raise NotFound("No such child.")
    if consented and found[1] is None:
        raise _consent_required(version, child_id)
    return found[0]


def _consent_required(version: str, child_id: str) -> ConsentRequired:
    return ConsentRequired(
        f"The privacy policy changed (version {version}): consent to it again before anything else.",
        child_id,
    )


def is_guardian(principal: Principal, child_id: str) -> bool:
    """Whether the caller guards the child. A guardian who has not consented to the policy as
    it is now is asked to first (ConsentRequired), as on every route that shows a child's data."""
    try:
        guarded_child(principal, child_id)
    except NotFound:
        return False
    return True


def consented_for_all(principal: Principal) -> None:
    """A guardian's inbox and outbox show every child they look after: a guardian who has not
    consented to the policy as it is now, for any of them, is asked to first (ConsentRequired,
    naming that child). Devices and staff are never asked."""
    if principal.user is None:
        return
    version = current_settings().consent_policy_version
    missing = db.session.scalar(
        select(Guardianship.child_id)
        .outerjoin(
            Consent,
            and_(
                Consent.child_id == Guardianship.child_id,
                Consent.guardian_id == Guardianship.user_id,
                Consent.policy_version == version,
            ),
        )
        .where(Guardianship.user_id == principal.user.id, Consent.id.is_(None))
        .limit(1)
    )
    if missing is not None:
        raise _consent_required(version, missing)


def child_for(principal: Principal, child_id: str) -> Child:
    """The child, for their own device or one of their guardians; NotFound for anyone else."""
    if principal.child is not None and principal.child.id == child_id:
        return principal.child
    return guarded_child(principal, child_id)


def message_for(principal: Principal, message: Message | None) -> Message:
    """The message, if the caller is in its family: the child's devices or their guardians.

    A child's own device sees what was sent to the child and what the child sent; a guardian
    sees all of their child's messages (they may delete any of them). Anyone else: NotFound.
    """
    if message is not None:
        if principal.child is not None and principal.child.id == message.child_id:
            return message
        if is_guardian(principal, message.child_id):
            return message
    raise NotFound("No such message.")


def curates(principal: Principal, org_id: str) -> bool:
    """An admin, or a curator of this organisation."""
    if principal.user is None:
        return False
    if principal.user.role == Role.ADMIN:
        return True
    return db.session.get(Curatorship, (org_id, principal.user.id)) is not None


def curated_org(principal: Principal, org_id: str) -> Organisation:
    """The organisation, for its curators and admins; NotFound for anyone else."""
    org = db.session.get(Organisation, org_id)
    if org is None or not curates(principal, org.id):
        raise NotFound("No such organisation.")
    return org


def is_curator(principal: Principal) -> bool:
    """A curator of any organisation."""
    if principal.user is None:
        return False
    return (
        db.session.scalar(select(Curatorship.org_id).where(Curatorship.user_id == principal.user.id).limit(1))
        is not None
    )


def upload_for(principal: Principal, upload: Upload | None) -> Upload:
    """The upload, if the caller started it; NotFound for anyone else."""
    if upload is not None:
        if principal.device is not None:
            owned = upload.owner_device_id == principal.device.id
        else:
            owned = upload.owner_user_id == user_of(principal).id
        if owned:
            return upload
    raise NotFound("No such upload.")


def may_record(principal: Principal) -> bool:
    """Whoever may send a recording somewhere: a child's device, a parent (and so a curator),
    an admin, an approved helper. A volunteer still waiting for approval may not."""
    return principal.device is not None or principal.role in (Role.PARENT, Role.ADMIN) or is_helper(principal)


def is_helper(principal: Principal) -> bool:
    """An approved volunteer or a supervisor: someone who may take help requests."""
    if principal.user is None:
        return False
    if principal.user.role == Role.VOLUNTEER:
        return principal.user.status == UserStatus.APPROVED
    return principal.user.role == Role.SUPERVISOR


def require_helper(principal: Principal) -> None:
    if not is_helper(principal):
        raise Forbidden("Only approved volunteers and supervisors can do this.")


def oversees_helpdesk(principal: Principal) -> bool:
    return principal.role in (Role.SUPERVISOR, Role.ADMIN)


def require_queue_watcher(principal: Principal) -> None:
    """Helpers, supervisors and admins may watch the help queue (never its contents)."""
    if not (is_helper(principal) or oversees_helpdesk(principal)):
        raise Forbidden("Only approved volunteers, supervisors and admins can watch the help queue.")


def help_request_for(principal: Principal, request: HelpRequest | None) -> HelpRequest:
    """The request, for the device that asked it, the volunteer holding it, a supervisor or an
    admin.

    Guardians never see their child's help requests (as on child helplines), not even through
    another device paired to the child: the person a child needs help about may be a guardian.
    A volunteer sees a request only while holding it. Anyone else: NotFound.
    """
    if request is not None:
        if principal.device is not None and principal.device.id == request.device_id:
            return request
        if oversees_helpdesk(principal):
            return request
        if holds(principal, request):
            return request
    raise NotFound("No such help request.")


def holds(principal: Principal, request: HelpRequest) -> bool:
    """The caller is the helper holding the request now."""
    return (
        is_helper(principal)
        and request.status == HelpStatus.HELD
        and request.held_by == user_of(principal).id
    )

"""Tables owned by the identity service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal_common.db import UTCDateTime, declarative_base
from portal_common.idempotency import idempotency_table
from portal_common.mail import mail_outbox_table
from portal_common.messaging.outbox import inbox_table, outbox_table

Base = declarative_base()
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
mail_outbox = mail_outbox_table(Base.metadata)
# Answers kept for a page form posted twice (portal_common.idempotency).
idempotency = idempotency_table(Base.metadata)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The company's main account also logs in with the 7-digit member number (seed portals do).
    login_member_number: Mapped[str | None] = mapped_column(String(7), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    staff_roles: Mapped[str] = mapped_column(String(200), default="")
    # Given at first account or invitation ("Fonction", "N° mobile"); the mobile is optional.
    job_title: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The optional e-mails the user declined (preferences.rules.MailTopic values, comma-separated).
    mail_opt_outs: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None while an invited or first-account user has not yet chosen a password (is_active is then False).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def staff_role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.staff_roles.split(",") if r)


class MemberLink(Base):
    """A user's access to one member company, with the roles granted on it."""

    __tablename__ = "member_link"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    roles: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="member")  # a team.rules.LinkKind
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class Session(Base):
    """Server-side session; only a hash of the cookie value is stored."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    current_member_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # An mfa.rules.Stage: "full" once every factor is given; "mfa" waits for the TOTP, "enrol" for a mandatory
    # enrolment: the gateway's session check refuses both, only the second-factor pages read them.
    stage: Mapped[str] = mapped_column(String(10), default="full", server_default="full")
    # Last re-authentication (password or TOTP): sensitive changes need it recent (step-up, SESS-07).
    step_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MemberDirectoryEntry(Base):
    """What identity knows of member companies, learnt from members' events."""

    __tablename__ = "member_directory"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(7), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # a directory.rules.MemberStatus
    version: Mapped[int] = mapped_column(Integer)
    # keyed_digest(internal key, "declarant-code", n° télédéclarant) from members' events: with the member number
    # it proves the right to open a first account or to add the company to one (never the code itself).
    declarant_code_digest: Mapped[str | None] = mapped_column(String(64))
    # Where a password-reset link may also be sent (members.member.updated.v1 contacts).
    manager_email: Mapped[str | None] = mapped_column(String(254))
    hr_email: Mapped[str | None] = mapped_column(String(254))


class MemberDeclarationContact(Base):
    """An address workforce sends a company's campaign opening to (portal_common.declarants), kept from members'
    snapshots so an administrator who is one of them is not mailed the opening a second time."""

    __tablename__ = "member_declaration_contact"

    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)


class LoginThrottle(Base):
    """Login counters of one account (or of one unknown identifier, so both behave alike), or of one account
    from one client address (docs/security.md AUTH-20, AUTH-21)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256, never the identifier itself
    # On an (account, address) counter: its account's key, so a password reset clears both kinds at once.
    account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Evaluated attempts, right or wrong, in the minute that started at minute_started_at.
    minute_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minute_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecurityEvent(Base):
    """Security log: who, when, from where, what and the outcome; never a secret."""

    __tablename__ = "security_event"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a security_log.rules.LogKind
    outcome: Mapped[str] = mapped_column(String(20))  # a security_log.rules.LogOutcome
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    member_id: Mapped[str | None] = mapped_column(String(36), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    # A label for the log reader (an API token's name, a changed role): never a secret.
    detail: Mapped[str | None] = mapped_column(String(200))


class OneTimeLink(Base):
    """Password-reset and activation links: only the sha256 of the token is stored, used once."""

    __tablename__ = "one_time_link"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # a recovery.rules.LinkPurpose
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """Access to a member company waiting for its user to follow the e-mailed one-time link.

    Made by a company administrator (`invited_by`) or by someone who typed the company's member number and
    n° télédéclarant (first account, "Ajouter une entreprise": `invited_by` is None).
    """

    __tablename__ = "member_invitation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[str] = mapped_column(ForeignKey("one_time_link.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    roles: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # a team.rules.LinkKind
    invited_by: Mapped[str | None] = mapped_column(String(36))
    # Set when an accounting firm invites a collaborator: accepting also makes the user one of the firm's.
    firm_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class LoginCode(Base):
    """A 6-digit sign-in code, bound to the browser that asked for it; stored as an HMAC only."""

    __tablename__ = "login_code"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    presession_hash: Mapped[str] = mapped_column(String(64), index=True)
    # None when nobody has this e-mail: the flow runs the same, the code simply never matches.
    user_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaptchaSpent(Base):
    """A captcha token already submitted, right or wrong: it is refused if it comes again. Written by the form's
    POST only (the image GET writes nothing: its token travels in a cookie); deleted once expired."""

    __tablename__ = "captcha_spent"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TotpFactor(Base):
    """A user's authenticator app (TOTP, RFC 6238): the secret is sealed with a key derived from the internal key."""

    __tablename__ = "mfa_totp"

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The factor in use, None until a first code confirms an enrolment.
    sealed_secret: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An enrolment (or a new phone) waiting for its first code; the factor in use keeps working meanwhile.
    pending_secret: Mapped[str | None] = mapped_column(String(200))
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last time step accepted: a code is never accepted twice (replay).
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Base):
    """Single-use recovery codes, shown once at enrolment, stored as keyed hashes."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A payroll software's access to one member company's API, within scopes; only the SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the random part, so that a user recognises a token in the list.
    hint: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(36))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)


class AccountingFirm(Base):
    """The organisation behind an accounting firm's account: its clients are the delegations its administrators
    hold; its collaborators reach the subset of them the administrator chose (firms.rules)."""

    __tablename__ = "accounting_firm"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FirmUser(Base):
    """A user of an accounting firm: its administrator or one of its collaborators; a user is in one firm at most."""

    __tablename__ = "firm_user"
    __table_args__ = (CheckConstraint("role IN ('admin', 'collaborator')", name="firm_user_role"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("accounting_firm.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # a firms.rules.FirmRole
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Tables of the web app: login sessions, login throttling, which page previews each person
was shown, and directory change proposals awaiting a second admin."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.schema import Base, utcnow
from gateway.models import User


class WebSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored: a copy of the database does
    not let anyone take over a session."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins per account name as typed (known or not, so a lockout reveals nothing)."""

    __tablename__ = "login_throttle"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PageView(Base):
    """A page preview served to a person, for the content it showed: confirming needs every page seen."""

    __tablename__ = "web_page_views"
    __table_args__ = (UniqueConstraint("user_id", "job_id", "content_sha256", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    page: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DirectoryProposal(Base):
    """A directory change one admin proposed; it takes effect only when another admin approves."""

    __tablename__ = "directory_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # add | change_number | reactivate
    slot: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="external")
    dial: Mapped[str] = mapped_column(String(64), default="")
    extension: Mapped[str] = mapped_column(String(16), default="")
    verified_on: Mapped[dt.date] = mapped_column(Date)  # when the proposer confirmed the number with the recipient
    entry_version: Mapped[int | None] = mapped_column(Integer)  # the entry as it was proposed against
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | approved | refused
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    proposer: Mapped[User] = relationship(foreign_keys=[proposed_by])
    decider: Mapped[User | None] = relationship(foreign_keys=[decided_by])

"""Tables of the web app: login sessions, login throttling, and which page previews each
person was shown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.storage.directory_tables import Base, utcnow
from gateway.storage.tables import User
from gateway.storage.types import UTCDateTime


class WebSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored: a copy of the database does
    not let anyone take over a session."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins per account name as typed (known or not, so a lockout reveals nothing)."""

    __tablename__ = "login_throttle"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PageView(Base):
    """A page preview served to a person, for the content it showed: confirming needs every page seen."""

    __tablename__ = "web_page_views"
    __table_args__ = (UniqueConstraint("user_id", "job_id", "content_sha256", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    page: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

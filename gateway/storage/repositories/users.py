"""Staff accounts, their API tokens, and the devices allowed to submit."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.storage.tables import ApiToken, Device, User
from gateway.storage.repositories import Repository


class UserRepository(Repository):
    def add(self, **fields) -> User:
        """A new account, flushed: it has its id."""
        user = User(**fields)
        self._session.add(user)
        self._session.flush()
        return user

    def by_name(self, name: str, *, for_update: bool = False) -> User | None:
        query = select(User).where(User.name == name)
        return self._session.scalar(query.with_for_update() if for_update else query)

    def by_name_or_email(self, name: str, email: str) -> User | None:
        return self._session.scalar(select(User).where((User.name == name) | (User.email == email)))

    def for_login(self, name: str, email: str) -> User | None:
        """The account a login form names: by its name, or by its lower-case e-mail address."""
        return self._session.scalar(select(User).where((User.name == name) | (func.lower(User.email) == email)))

    def with_email(self, email: str) -> User | None:
        """The account with this lower-case address, in any letter case."""
        return self._session.scalar(select(User).where(func.lower(User.email) == email))

    def everyone(self) -> list[User]:
        """Every account, by department and name."""
        return list(self._session.scalars(select(User).order_by(User.department, User.name)))

    def active_admin_count(self) -> int:
        """Counted with the administrators' rows locked: two admins demoting each other at the
        same moment cannot both see the other still there (PostgreSQL; SQLite writers are serialized)."""
        return len(list(self._session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))
                                              .with_for_update())))

    def any_admin(self) -> bool:
        return self._session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None

    def get(self, user_id: int | None) -> User | None:
        return self._session.get(User, user_id) if user_id is not None else None

    def other_with_email(self, email: str, name: str) -> User | None:
        """Another account (not `name`) with this address, in any letter case."""
        return self._session.scalar(select(User).where(func.lower(User.email) == email, User.name != name))

    def active_senders(self, addresses: set[str]) -> dict[str, tuple[int, str, str]]:
        """(id, e-mail, department) of the active accounts with these lower-case addresses."""
        rows = self._session.execute(select(User.id, User.email, User.department)
                                     .where(func.lower(User.email).in_(addresses), User.active.is_(True)))
        return {row.email.lower(): row for row in rows}

    def add_token(self, user: User, token_sha256: str) -> None:
        self._session.add(ApiToken(user_id=user.id, token_sha256=token_sha256))

    def by_token(self, token_sha256: str) -> User | None:
        """The account of an unrevoked token (active or not)."""
        row = self._session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_sha256,
                                                          ApiToken.revoked.is_(False)))
        return row and row.user

    def devices(self) -> list[Device]:
        return list(self._session.scalars(select(Device)))

    def device(self, name: str) -> Device | None:
        return self._session.scalar(select(Device).where(Device.name == name))

    def add_device(self, **fields) -> Device:
        device = Device(**fields)
        self._session.add(device)
        return device

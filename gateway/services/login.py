"""Checking a login, throttled per account (one count whether it is named or its e-mail address given): against the stored argon2 hash for local
accounts, or against the directory server (LDAP) when one is configured.

A local account with a password (the break-glass administrator) always signs in locally, even
while the directory server is down, and no directory account can take its name. Everyone else
signs in through the directory server when there is one: it checks the password, and the
person's groups there decide their role, department and privacy officer here at every sign-in
(gateway.services.users.sync_directory_account). A server that cannot be asked refuses the sign-in.
Every refused password, and every sign-in the server could not check, counts for the lockout.

The password is checked between two short transactions, never inside one: argon2 takes a good
fraction of a second on purpose, a directory server may take seconds to answer, and on SQLite
an open transaction holds the write lock that the SMTP intake needs."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Callable

from gateway.adapters.ldap import DirectoryAccount, DirectoryUnavailable, LdapDirectory
from gateway.adapters.ldap_config import membership
from gateway.services.users import hash_password, password_matches, sync_directory_account
from gateway.core import login_throttle as throttle, user_editor
from gateway.storage.uow import UnitOfWork
from gateway.storage.web_tables import LoginThrottle

ACCOUNT_MAX = 100


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    wait: dt.timedelta | None = None  # set while the account is locked
    # Why a sign-in was refused beyond a wrong name or password: directory_unavailable,
    # no_access, deactivated, conflict, incomplete (see gateway.services.users.sync_directory_account)
    problem: str | None = None


@dataclass(frozen=True)
class DeviceLogin:
    accepted: bool
    wait: dt.timedelta | None = None  # set while the device or its address is locked


OpenUnitOfWork = Callable[[], UnitOfWork]  # App.unit_of_work: each call one new transaction


@functools.cache
def _decoy_hash() -> str:
    """Checked for unknown names and accounts without a password, so they cost as long as a
    wrong password and the answer's timing tells nothing."""
    return hash_password("faxgate decoy password")


def _attempts(row: LoginThrottle | None) -> throttle.Attempts:
    if row is None:
        return throttle.Attempts()
    return throttle.Attempts(row.failures, row.last_failure_at, row.locked_until)


def attempt(unit_of_work: OpenUnitOfWork, account: str, password: str, now: dt.datetime,
            directory: LdapDirectory | None = None) -> LoginResult:
    typed = account.strip().lower()[:ACCOUNT_MAX]
    with unit_of_work() as uow:
        user = uow.users.for_login(account.strip(), typed)
        # One count per account whatever it is signed in as (its name or its e-mail address);
        # a name nobody has is counted as typed.
        key = user.name.lower()[:ACCOUNT_MAX] if user is not None else typed
        subject = f"user:{key}"[:100]  # the audit subject column's width
        wait = throttle.wait_left(_attempts(uow.login_throttle.get(key)), now)
        if wait:
            uow.audit.append("web", "user.login_locked", subject, "login refused while locked")
            return LoginResult(None, wait)
        local = user is not None and user.source == "local" and bool(user.password_hash)
        user_id, stored = (user.id, user.password_hash) if local and user.active else (None, None)
    if directory is not None and not local:
        return _through_directory(unit_of_work, directory, key, subject, account.strip(), password, now)
    matches = password_matches(stored or _decoy_hash(), password)
    return _settle(unit_of_work, key, subject, now, user_id if stored and matches else None)


def _through_directory(unit_of_work: OpenUnitOfWork, directory: LdapDirectory, key: str, subject: str, account: str,
                       password: str, now: dt.datetime) -> LoginResult:
    try:
        found = directory.authenticate(account, password)
    except DirectoryUnavailable as exc:
        return _settle(unit_of_work, key, subject, now, None, problem="directory_unavailable", detail=str(exc))
    if found is None:
        return _settle(unit_of_work, key, subject, now, None)
    return _settle(unit_of_work, key, subject, now, None, account=found, rules=directory.config.rules())


def _settle(unit_of_work: OpenUnitOfWork, key: str, subject: str, now: dt.datetime, user_id: int | None, *,
            problem: str | None = None, detail: str = "", account: DirectoryAccount | None = None,
            rules=()) -> LoginResult:
    """Record the outcome: a success (``user_id``, or a directory ``account`` whose password
    was right), or a failure counted for the lockout."""
    with unit_of_work() as uow:
        row = uow.login_throttle.get(key, for_update=True)
        attempts = _attempts(row)
        # Failures recorded while the password was being checked may have locked the account since.
        wait = throttle.wait_left(attempts, now)
        if account is not None and not wait:
            if not account.name or not account.email or len(account.name) > user_editor.NAME_MAX or \
                    len(account.email) > user_editor.EMAIL_MAX:
                problem = "incomplete"
            else:
                user, problem = sync_directory_account(uow, account.name, account.email,
                                                       membership(account.groups, rules), "system:ldap")
                user_id = user.id if user else None
            if problem:  # the password was right: a refusal for who they are, not a guess
                uow.audit.append("web", "user.login_refused", subject, problem, dn=account.dn)
                return LoginResult(None, problem=problem)
        if user_id is not None and not wait:
            if row is not None:
                uow.login_throttle.forget(key)
            name = uow.users.get(user_id).name
            uow.audit.append(f"user:{name}", "user.login", f"user:{name}")
            return LoginResult(user_id)
        failed = throttle.after_failure(attempts, now)
        if row is None:
            row = uow.login_throttle.add(key)
        row.failures, row.last_failure_at, row.locked_until = failed.failures, failed.last_failure_at, failed.locked_until
        uow.login_throttle.forget_older(now - throttle.FORGET_AFTER, keep=key)
        uow.audit.append("web", "user.login_failed", subject, detail, failures=failed.failures,
                        **({"problem": problem} if problem else {}))
        return LoginResult(None, throttle.wait_left(failed, now), problem)


def attempt_device(unit_of_work: OpenUnitOfWork, device: str, peer: str, stored_hash: str | None, password: str,
                   now: dt.datetime) -> DeviceLogin:
    """SMTP AUTH by a device, under the same lockout as people, counted per device name and per
    peer address: guessing one device's password from many addresses, or many devices' from one,
    both lock. A device's success clears its own count only, never its address's (a valid
    device must not reset a guesser's count from the same host)."""
    keys = (f"device:{device.strip().lower()}"[:ACCOUNT_MAX], f"peer:{peer}"[:ACCOUNT_MAX])
    subject = f"device:{device}"[:100]
    with unit_of_work() as uow:
        wait = max((throttle.wait_left(_attempts(uow.login_throttle.get(k)), now) or dt.timedelta() for k in keys))
        if wait:
            uow.audit.append("smtp", "device.auth_locked", subject, "login refused while locked", peer=peer)
            return DeviceLogin(False, wait)
    matches = password_matches(stored_hash or _decoy_hash(), password)
    with unit_of_work() as uow:
        rows = {k: uow.login_throttle.get(k, for_update=True) for k in keys}
        wait = max((throttle.wait_left(_attempts(row), now) or dt.timedelta() for row in rows.values()))
        if stored_hash and matches and not wait:
            if rows[keys[0]] is not None:
                uow.login_throttle.forget(keys[0])
            return DeviceLogin(True)
        for key, row in rows.items():
            failed = throttle.after_failure(_attempts(row), now)
            row = row or uow.login_throttle.add(key)
            row.failures, row.last_failure_at, row.locked_until = failed.failures, failed.last_failure_at, failed.locked_until
        uow.audit.append("smtp", "device.auth_failed", subject, "", peer=peer)
        return DeviceLogin(False, wait or None)

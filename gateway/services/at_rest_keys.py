"""Key rotation and sealing what was stored before encryption at rest: whole-database work over
the jobs' data keys, in batches (each its own transaction), audited when done."""

from __future__ import annotations

import time
from dataclasses import dataclass

from gateway.storage import kek

SUBJECT = "keys"


@dataclass(frozen=True)
class Rotation:
    previous: str  # KEK id
    current: str
    rewrapped: int


class NothingToRotate(Exception):
    """The KEK comes from an environment variable whose first key already wraps every data key."""


def rotate(app, actor: str) -> Rotation:
    """Every data key wrapped again under a new KEK; the documents stay as they are (their data
    keys do not change). With a KEK file: a new key is made and put first in it, the data keys
    re-wrapped, then the old key is dropped from the file. With `[keys] kek_env`: the operator
    has put the new key first in the variable (the old one after it) and restarted."""
    old = app.keyring()  # checked: it opens this database
    if app.token_keyring is not None:
        return _rotate_on_token(app, actor, old)
    if app.config.keys.kek_env:
        new = old
        others = _keks(app) - {new.current_id}
        if not others:
            raise NothingToRotate(new.current_id)
        previous = ",".join(sorted(others))
    else:
        new = kek.Keyring((kek.new_key(), *old.keys), old.source)
        previous = old.current_id
        # Both keys first: a gateway process reading the file meanwhile can open either.
        kek.write_file(app.kek_file, new.keys)
    total = _rewrap_all(app, new)
    if not app.config.keys.kek_env:
        kek.write_file(app.kek_file, new.keys[:1])
        total += _rewrap_all(app, new)  # a process that wrapped under the old key before it saw the new file
    with app.unit_of_work() as uow:
        uow.audit.append(actor, "keys.rotated", SUBJECT, "every data key re-wrapped under a new key-encryption key",
                         previous=previous, current=new.current_id, rewrapped=total)
    return Rotation(previous, new.current_id, total)


def _rotate_on_token(app, actor: str, token) -> Rotation:
    """A new KEK made on the token, every data key re-wrapped under it, then the old keys
    destroyed there. Between two passes, the gateway's processes (which list the token's keys
    again every KEK_CHECK_SECONDS) start wrapping under the new key."""
    previous = token.current_id
    current = token.add_key()
    total = _rewrap_all(app, token)
    time.sleep(app.KEK_CHECK_SECONDS)
    total += _rewrap_all(app, token)
    token.destroy_all_but_current()
    with app.unit_of_work() as uow:
        uow.audit.append(actor, "keys.rotated", SUBJECT, "every data key re-wrapped under a new key-encryption key",
                         previous=previous, current=current, rewrapped=total, on="pkcs11")
    return Rotation(previous, current, total)


def _keks(app) -> set[str]:
    with app.unit_of_work(read_only=True) as uow:
        return set(uow.data_keys.by_kek())


def _rewrap_all(app, keyring: kek.Keyring) -> int:
    total = 0
    while True:
        with app.unit_of_work() as uow:
            done = uow.data_keys.rewrap(keyring, keyring)
        total += done
        if not done:
            return total


def encrypt_existing(app, actor: str) -> int:
    """Seal what an install stored before encryption at rest; how many rows. Safe to run again."""
    total = 0
    while True:
        with app.unit_of_work() as uow:
            done = uow.data_keys.seal_existing()
        total += done
        if not done:
            break
    if total:
        with app.unit_of_work() as uow:
            uow.audit.append(actor, "keys.encrypted_existing", SUBJECT, "rows stored in the clear sealed", rows=total)
    return total

"""Envelope encryption at the storage door: every job has its own AES-256 data key (table
data_keys, wrapped by the KEK of gateway.storage.kek); its message, documents, findings and
signed records are stored sealed with AES-GCM under it. The associated data is the job id and
the field, so a sealed value moved to another row or column no longer opens.

Services and doors never see ciphertext: the mapped classes expose the plain values through
`SealedField`, which seals on assignment and opens on reading with the unit of work's Sealer
(kept in the session's ``info``). Values stored before encryption came (no SEAL_MAGIC) are read
as they are until `faxgate keys encrypt-existing` seals them."""

from __future__ import annotations

import base64
import json
import os
from typing import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert
from sqlalchemy.orm import Session, object_session

from gateway.storage.kek import NONCE_BYTES, AtRestKeyError, Keyring, new_key

SEAL_MAGIC = b"FGE1"
JSON_MAGIC = "FGE1:"
SESSION_KEY = "faxgate_sealer"


def seal_bytes(key: bytes, data: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return SEAL_MAGIC + nonce + AESGCM(key).encrypt(nonce, data, aad)


def is_sealed(value) -> bool:
    return (isinstance(value, (bytes, memoryview)) and bytes(value[:4]) == SEAL_MAGIC) or (
        isinstance(value, str) and value.startswith(JSON_MAGIC))


class Sealer:
    """One unit of work's data keys: read (and unwrapped) once each, created for a job that has
    none. The keyring is asked for only when something is sealed or opened."""

    def __init__(self, session: Session, keyring: Callable[[], Keyring]):
        self._session, self._keyring, self._keys = session, keyring, {}

    def keyring(self) -> Keyring:
        return self._keyring()

    def data_key(self, owner: str, create: bool = False) -> bytes:
        if owner in self._keys:
            return self._keys[owner]
        from gateway.storage.tables import DataKey

        with self._session.no_autoflush:  # a row being sealed may not be complete yet
            row = self._session.get(DataKey, owner)
        if row is None:
            if not create:
                raise AtRestKeyError("no_data_key", owner=owner)
            key = new_key()
            kek, wrapped = self.keyring().wrap(key, owner)
            self._session.add(DataKey(owner=owner, kek_id=kek, wrapped=wrapped))
        else:
            key = self.keyring().unwrap(row.wrapped, owner, row.kek_id)
        self._keys[owner] = key
        return key

    def new_data_keys(self, owners: list[str]) -> None:
        """Data keys for jobs being inserted in bulk (the intake's group commit): one statement."""
        from gateway.storage.tables import DataKey

        keyring, rows = self.keyring(), []
        for owner in owners:
            key = new_key()
            kek, wrapped = keyring.wrap(key, owner)
            self._keys[owner] = key
            rows.append({"owner": owner, "kek_id": kek, "wrapped": wrapped})
        if rows:
            self._session.connection().execute(insert(DataKey.__table__), rows)

    def seal(self, owner: str, field: str, data: bytes) -> bytes:
        return seal_bytes(self.data_key(owner, create=True), data, _aad(owner, field))

    def open(self, owner: str, field: str, value) -> bytes:
        value = bytes(value)
        if not is_sealed(value):
            return value  # stored before encryption at rest (see keys encrypt-existing)
        nonce, body = value[4:4 + NONCE_BYTES], value[4 + NONCE_BYTES:]
        try:
            return AESGCM(self.data_key(owner)).decrypt(nonce, body, _aad(owner, field))
        except InvalidTag:
            raise AtRestKeyError("tampered", owner=owner, field=field) from None

    def seal_json(self, owner: str, field: str, value):
        if not value:
            return value  # nothing to hide in an empty list
        data = json.dumps(value, ensure_ascii=False).encode()
        return JSON_MAGIC + base64.b64encode(self.seal(owner, field, data)).decode()

    def open_json(self, owner: str, field: str, value):
        if not is_sealed(value):
            return value
        return json.loads(self.open(owner, field, base64.b64decode(value[len(JSON_MAGIC):])))


def _aad(owner: str, field: str) -> bytes:
    return f"faxgate sealed\x00{owner}\x00{field}".encode()


def sealer_in(session: Session) -> Sealer:
    return session.info[SESSION_KEY]


def sealer_of(instance) -> Sealer:
    session = object_session(instance)
    sealer = session.info.get(SESSION_KEY) if session is not None else None
    sealer = sealer or instance.__dict__.get("_fg_sealer")
    if sealer is None:
        raise RuntimeError(f"{type(instance).__name__}: sealed values are read and written in a unit of work")
    instance.__dict__["_fg_sealer"] = sealer  # read again after its unit of work ended
    return sealer


class SealedField:
    """The plain value of a sealed column. ``column``: the mapped attribute holding the stored
    value; ``owner``: a function of the row giving the job whose data key seals it; ``aad``:
    the name bound into the ciphertext (defaults to the attribute's name); ``bind``: a function of
    the row giving more of it to bind (a record's hash, so records cannot be swapped)."""

    def __init__(self, column: str, owner: Callable[[object], str], *, as_json: bool = False, aad: str | None = None,
                 bind: Callable[[object], str] | None = None):
        self.column, self.owner, self.as_json, self.aad, self.bind = column, owner, as_json, aad, bind

    def __set_name__(self, cls, name: str) -> None:
        self.name, self.aad = name, self.aad or name

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        stored = getattr(instance, self.column)
        cache = instance.__dict__.get("_fg_plain", {}).get(self.name)
        if cache is not None and cache[0] is stored:
            return cache[1]
        if stored is None or (self.as_json and not is_sealed(stored)):
            return stored
        sealer, owner, field = sealer_of(instance), self.owner(instance), self._field(instance)
        plain = sealer.open_json(owner, field, stored) if self.as_json else sealer.open(owner, field, stored)
        instance.__dict__.setdefault("_fg_plain", {})[self.name] = (stored, plain)
        return plain

    def __set__(self, instance, value) -> None:
        if value is None:
            setattr(instance, self.column, None)
            return
        sealer, owner, field = sealer_of(instance), self.owner(instance), self._field(instance)
        stored = sealer.seal_json(owner, field, value) if self.as_json else sealer.seal(owner, field, value)
        setattr(instance, self.column, stored)
        instance.__dict__.setdefault("_fg_plain", {})[self.name] = (stored, value)


    def _field(self, instance) -> str:
        return f"{self.aad}:{self.bind(instance)}" if self.bind else self.aad


def attach(session: Session, keyring: Callable[[], Keyring]) -> Sealer:
    sealer = Sealer(session, keyring)
    session.info[SESSION_KEY] = sealer
    return sealer

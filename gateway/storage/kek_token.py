"""The key-encryption key on a PKCS#11 token (an HSM, a smart card, SoftHSM): `[keys]
pkcs11_key_label` names it. The jobs' data keys are wrapped and unwrapped by AES-GCM on the
token, bound to their job as with a file KEK; the KEK is made on the token (sensitive, not
extractable) and never leaves it.

The token may hold several keys with the label, each with its own CKA_ID (the time it was made,
then random bytes): the newest is the current one. `faxgate keys rotate` makes a new one,
re-wraps every data key under it, then destroys the older ones.

Needs python-pkcs11 (the optional extra "hsm")."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PinIncorrect, PinLocked, PKCS11Error, UserAlreadyLoggedIn
from pkcs11.mechanisms import GCMParams

from gateway.storage.kek import NONCE_BYTES, AtRestKeyError, _wrap_aad

# What a tag that does not match is reported as (SoftHSM: CKR_GENERAL_ERROR); anything else is
# the token itself (removed, session lost) and the session is opened again at the next use.
_BAD_TAG = (pkcs11.exceptions.GeneralError, pkcs11.exceptions.EncryptedDataInvalid,
            pkcs11.exceptions.EncryptedDataLenRange, pkcs11.exceptions.FunctionFailed)


@dataclass(frozen=True)
class TokenSettings:
    module: str
    token_label: str  # "" = the first token present
    key_label: str
    pin: Callable[[], tuple[str, str]]  # (the PIN, where it came from): read at each opening


def token_kek_id(object_id: bytes) -> str:
    return hashlib.sha256(b"faxgate kek id pkcs11\x00" + object_id).hexdigest()[:16]


class TokenKeyring:
    """The same face as kek.Keyring (current_id, ids, source, wrap, unwrap), its keys on the token.
    One session for the process, used under a lock (a PKCS#11 session does one thing at a time)."""

    def __init__(self, settings: TokenSettings):
        self.settings = settings
        self.source = f"PKCS#11 {settings.token_label or '(最初のトークン)'}/{settings.key_label}"
        self._lock = threading.RLock()
        self._session: pkcs11.Session | None = None
        self._keys: dict[str, pkcs11.SecretKey] = {}  # kek id -> key, the current one first

    @property
    def current_id(self) -> str:
        return next(iter(self._keys))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def refreshed(self) -> TokenKeyring:
        """The keys on the token listed again (the session opened if it is not); AtRestKeyError
        when the token, the PIN or the key is not there."""
        with self._lock:
            try:
                self._list()
            except PKCS11Error:
                self.close()  # the token went away or the session was lost: once more, from the start
                self._call(self._list)
            return self

    def wrap(self, data_key: bytes, owner: str) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        with self._lock:
            try:
                return self.current_id, nonce + self._gcm(self.current_id, "encrypt", data_key, nonce, owner)
            except PKCS11Error:
                # The key was destroyed by a rotation in another process, or the session lost:
                # listed again, the new current key wraps it.
                self.close()
                self.refreshed()
                return self.current_id, nonce + self._call(
                    lambda: self._gcm(self.current_id, "encrypt", data_key, nonce, owner))

    def unwrap(self, wrapped: bytes, owner: str, wrapped_by: str) -> bytes:
        with self._lock:
            if wrapped_by not in self._keys:
                self.refreshed()  # made since by `faxgate keys rotate` in another process
            if wrapped_by not in self._keys:
                raise AtRestKeyError("wrong_key", source=self.source, want=wrapped_by)
            body, nonce = wrapped[NONCE_BYTES:], wrapped[:NONCE_BYTES]
            try:
                return self._gcm(wrapped_by, "decrypt", body, nonce, owner)
            except _BAD_TAG:
                raise AtRestKeyError("damaged", owner=owner, kek=wrapped_by) from None
            except PKCS11Error:  # the session lost: opened again, once
                self.close()
                self.refreshed()
                if wrapped_by not in self._keys:
                    raise AtRestKeyError("wrong_key", source=self.source, want=wrapped_by) from None
                try:
                    return self._gcm(wrapped_by, "decrypt", body, nonce, owner)
                except _BAD_TAG:
                    raise AtRestKeyError("damaged", owner=owner, kek=wrapped_by) from None
                except PKCS11Error as exc:
                    raise AtRestKeyError("pkcs11_error", detail=type(exc).__name__,
                                         module=self.settings.module) from None

    def add_key(self) -> str:
        """A new KEK made on the token, now the current one; its id."""
        object_id = time.time_ns().to_bytes(8, "big") + os.urandom(8)
        with self._lock:
            session = self._open()
            self._call(lambda: session.generate_key(
                KeyType.AES, 256, label=self.settings.key_label, id=object_id, store=True,
                template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.PRIVATE: True}))
            self._list()
            return self.current_id

    def destroy_all_but_current(self) -> None:
        with self._lock:
            for kek in self.ids[1:]:
                self._call(self._keys[kek].destroy)
            self._list()

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                try:
                    self._session.close()
                except PKCS11Error:
                    pass  # the token is gone already
            self._session, self._keys = None, {}

    def _gcm(self, kek: str, operation: str, data: bytes, nonce: bytes, owner: str) -> bytes:
        parameters = GCMParams(nonce, _wrap_aad(owner))
        return getattr(self._keys[kek], operation)(data, mechanism=Mechanism.AES_GCM, mechanism_param=parameters)

    def _list(self) -> None:
        session = self._open()
        found = session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: self.settings.key_label})
        keys = sorted(((bytes(k[Attribute.ID]), k) for k in found), key=lambda pair: pair[0], reverse=True)
        if not keys:
            raise AtRestKeyError("pkcs11_no_key", token=self._token_name(), label=self.settings.key_label)
        self._keys = {token_kek_id(object_id): key for object_id, key in keys}

    def _open(self) -> pkcs11.Session:
        if self._session is not None:
            return self._session
        settings, token = self.settings, self._token_name()
        if not os.path.isfile(settings.module):
            raise AtRestKeyError("pkcs11_module", path=settings.module)
        pin, source = settings.pin()
        try:
            found = pkcs11.lib(settings.module).get_token(token_label=settings.token_label or None)
        except (pkcs11.exceptions.NoSuchToken, pkcs11.exceptions.MultipleTokensReturned):
            raise AtRestKeyError("pkcs11_token", token=token, module=settings.module) from None
        except (PKCS11Error, RuntimeError, OSError) as exc:
            raise AtRestKeyError("pkcs11_error", detail=type(exc).__name__, module=settings.module) from None
        try:
            try:
                self._session = found.open(rw=True, user_pin=pin)
            except UserAlreadyLoggedIn:  # this process signs records on the same token: one login
                self._session = found.open(rw=True)
        except PinIncorrect:
            raise AtRestKeyError("pkcs11_pin_incorrect", token=token, source=source) from None
        except PinLocked:
            raise AtRestKeyError("pkcs11_pin_locked", token=token) from None
        except PKCS11Error as exc:
            raise AtRestKeyError("pkcs11_error", detail=type(exc).__name__, module=settings.module) from None
        return self._session

    def _call(self, action):
        try:
            return action()
        except PKCS11Error as exc:
            raise AtRestKeyError("pkcs11_error", detail=type(exc).__name__, module=self.settings.module) from None

    def _token_name(self) -> str:
        return self.settings.token_label or "(最初のトークン)"


def pin_reader(pin_file: str, pin_env: str, environ=os.environ) -> Callable[[], tuple[str, str]]:
    """The PIN from a file (read at each opening) or a variable, never from the configuration."""
    def read() -> tuple[str, str]:
        if pin_file:
            try:
                pin = open(pin_file, encoding="utf-8").read().strip()
            except (OSError, UnicodeDecodeError):
                pin = ""
            if pin:
                return pin, pin_file
        elif environ.get(pin_env):
            return environ[pin_env], f"${pin_env}"
        raise AtRestKeyError("pkcs11_pin_missing", env=pin_env)
    return read

"""Fuzzing, briefly in CI (Hypothesis): untrusted MIME, address books and dial strings either
parse or are refused with their own error; nothing else escapes. Longer runs:
HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/unit/test_fuzz.py"""

from __future__ import annotations

import email.policy
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.formats.book import BookError
from directory.formats.reading import read_book
from directory.dialplan import DialStringError, read_dial_string
from directory.importer import plan_import
from directory.profile import PbxProfile
from gateway.core.message import FaxDocument, MessageLimits, MessageRefused, extract_document
from tests.support import docgen
from tests.support.harness import fax_message

settings.register_profile("long", max_examples=20_000, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

VALID = fax_message(docgen.text_pdf([[(20, 20, "送付のご案内", 14)]])).as_bytes(policy=email.policy.SMTP)


@st.composite
def mutated(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 20))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[position: position + draw(st.integers(1, 200))]
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=50))
        if not data:
            break
    return bytes(data)


@given(st.one_of(mutated(VALID), st.binary(max_size=4000)))
def test_mime_intake_parses_or_refuses(raw):
    try:
        result = extract_document(raw, MessageLimits())
    except MessageRefused as refusal:
        assert refusal.code.split()[0] in ("550", "552", "554")
    else:
        assert isinstance(result, FaxDocument) and result.kind in ("pdf", "tiff")


BOOK = "slot,name,fax,last_used\n1,保健福祉課,0-03-5432-1111,2026-10-01\n2,会社,03-5432-1111,\n".encode()


@given(st.one_of(mutated(BOOK), st.binary(max_size=2000), st.text(max_size=500).map(str.encode)),
       st.sampled_from([None, "generic", "ricoh", "canon", "konica"]))
def test_address_books_parse_or_refuse(data, fmt):
    try:
        book = read_book(data, fmt)
    except BookError:
        return
    plan = plan_import(book, PbxProfile())
    assert all(error.line >= 1 and error.message for error in plan.errors)


@given(st.text(max_size=40))
def test_any_text_is_a_dial_string_or_refused(text):
    try:
        read_dial_string(text, PbxProfile())
    except DialStringError as error:
        assert str(error)

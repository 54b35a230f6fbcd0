"""Japanese by default, English on request. Messages are written in English in the code and the
templates and translated by the Babel catalog in gateway/entrypoints/web/locale, to which the screening
rules add their codes' summaries and advice (gateway.core.screening keeps both languages); the catalog
is compiled in memory when first used, so each text has one copy and cannot go stale."""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from gateway.core.screening import CODES

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
COOKIE = "faxgate_lang"


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; it is translated where it is shown."""
    return message


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    path = catalog_path(language)
    if not path.exists():  # English: the messages are written in it
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    if language == "ja":  # the screening's words for its codes live with its rules, in both languages
        for code in CODES.values():
            for english, japanese in ((code.summary_en, code.summary_ja), (code.advice_en, code.advice_ja)):
                catalog.add(english, japanese)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language_of(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE

# Each language is offered in its own name, whatever the page's language.
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

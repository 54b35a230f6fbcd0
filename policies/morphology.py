"""Person names from a Japanese morphological analyser whose dictionary tags them
(固有名詞・人名・姓 / 名): SudachiPy with SudachiDict core (bench/RESULTS.md says why this one).

The analyser loads once per process, on first use (a worker that never meets text never
pays for it), and its dictionary is a pip package installed with faxgate: nothing is
downloaded at run time.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

SURNAME, GIVEN = "surname", "given"


@dataclass(frozen=True)
class Token:
    start: int  # offsets into the text analysed
    end: int
    surface: str
    kind: str | None  # SURNAME, GIVEN or None
    noun: bool
    proper: bool  # a proper noun (a place, an organisation, a name)


_per_thread = threading.local()


@functools.cache
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _tokenizer():
    """One tokenizer per thread (a Sudachi tokenizer is not to be shared), over the one
    dictionary of the process."""
    tokenizer = getattr(_per_thread, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        tokenizer = _per_thread.tokenizer = _dictionary().tokenizer(SplitMode.C, fields={"pos"})
    return tokenizer


# Sudachi reads at most ~49 KB at a time; 10,000 characters are under 40 KB in UTF-8.
_MAX_CHARS = 10_000
_BREAKS = "。、 \t"


def tokens(text: str) -> list[Token]:
    """The words of a line of text, with offsets into it. A line too long for the analyser
    (a text layer with no line breaks) is read in pieces cut after 。、 or a space."""
    result: list[Token] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + _MAX_CHARS)
        if end < len(text):
            cut = max(text.rfind(mark, start, end) for mark in _BREAKS)
            end = cut + 1 if cut > start else end
        result.extend(_analyse(text[start:end], start))
        start = end
    return result


def _analyse(text: str, offset: int) -> list[Token]:
    result = []
    for morpheme in _tokenizer().tokenize(text):
        pos = morpheme.part_of_speech()
        kind = {"姓": SURNAME, "名": GIVEN}.get(pos[3]) if pos[1:3] == ("固有名詞", "人名") else None
        result.append(Token(offset + morpheme.begin(), offset + morpheme.end(), morpheme.surface(), kind,
                            pos[0] == "名詞", pos[1] == "固有名詞"))
    return result

"""The screening's judgement of the labelled corpus, recorded: work on the hot path (issue 18)
must leave every verdict and every blocking category as it was. The corpora are those of
tests/integration/test_screen_corpus.py, which compares as it measures.

Record again only when the judgement is meant to change (say why in the commit):

    PYTHONPATH=. .venv/bin/python -m tests.support.corpus_verdicts
"""

from __future__ import annotations

import json

from policies.screen import screen_document
from tests.support.corpus import SETTINGS, Corpus
from tests.support.paths import FIXTURES

RECORDED = FIXTURES / "corpus" / "verdicts.json"

# Which corpus each recording covers (Corpus.build's arguments).
JUDGED = {
    "text_pdf": dict(media=("text_pdf",), seeds=range(3)),
    "fine_fax": dict(media=("tiff_fine",), seeds=range(1),
                     templates=("form", "letter", "roster", "medical", "cover", "business")),
}


def judgement(result) -> list:
    """What the screening decided: the verdict and the categories it blocked on."""
    return [result.verdict, sorted({f.category for f in result.blocking})]


def recorded(corpus: str) -> dict[str, list]:
    return json.loads(RECORDED.read_text(encoding="utf-8"))[corpus]


def main() -> None:
    judged = {name: {item.name: judgement(screen_document(item.data, SETTINGS))
                     for item in Corpus.build(**arguments).samples}
              for name, arguments in JUDGED.items()}
    RECORDED.write_text(json.dumps(judged, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{RECORDED}: " + ", ".join(f"{name} {len(items)}" for name, items in judged.items()))


if __name__ == "__main__":
    main()

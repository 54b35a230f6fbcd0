"""Personal data in text alone, for callers that have a page's text but not its image.

Without the rendered page nothing can be known about masking beyond placeholders (＊, ■);
`policies.screen.screen_document` judges masking on the page as the fax will carry it and
is what screening uses. This is the recognizers over a plain string.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.allowlist import AllowList
from policies.categories import SENSITIVE, hide_middle
from policies.layout import plain_text
from policies.recognizers import recognize


@dataclass(frozen=True)
class TextFinding:
    category: str
    sensitive: bool
    masked: bool
    value: str
    start: int  # offsets into the text given
    end: int

    @property
    def shown(self) -> str:
        """The value with its middle hidden."""
        return hide_middle(self.value)


def find_personal_data(text: str, allow: AllowList = AllowList()) -> list[TextFinding]:
    page = plain_text(text)
    view = page.view
    findings = []
    for hit in recognize(view, allow):
        start, end = view.page_span(hit.start, hit.end)
        findings.append(TextFinding(hit.category, hit.category in SENSITIVE, hit.masked, page.text[start:end], start, end))
    return findings

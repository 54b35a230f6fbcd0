"""The chain, as one declarative table: each rule in its own module, in the order they run
(later rules rely on what earlier ones found)."""

from gateway.core.screening.rules import (
    addressee_matches,
    cover_sheet_legible,
    cover_sheet_number,
    cover_sheet_prepend,
    destination_dialable,
    document_readable,
    entry_approved,
    entry_not_retired,
    entry_not_stale,
    entry_reviewed,
    in_directory,
    internal_uses_extension,
    pages_legible,
    personal_data,
)

CHAIN = (
    destination_dialable.RULE,
    in_directory.RULE,
    entry_approved.RULE,
    entry_reviewed.RULE,
    entry_not_retired.RULE,
    entry_not_stale.RULE,
    internal_uses_extension.RULE,
    document_readable.RULE,
    personal_data.RULE,
    cover_sheet_number.RULE,
    cover_sheet_legible.RULE,
    addressee_matches.RULE,
    cover_sheet_prepend.RULE,
    pages_legible.RULE,
)

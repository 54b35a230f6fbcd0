"""The screening chain: small named rules (one module each under `rules/`) in one declarative
table, run by one interpreter (`chain`). Plain Python: lookups and the document loader are
handed in."""

from gateway.core.screening.chain import (
    CODES,
    RULE_NAMES,
    Outcome,
    RuleRecord,
    code_of,
    destination_refusal,
    error_reason,
    run_chain,
)
from gateway.core.screening.rule import Code, Hit, Note, Rule
from gateway.core.screening.rules import CHAIN
from gateway.core.screening.subject import DirectoryLookups, EntryView, Subject, Tools

__all__ = ["CHAIN", "CODES", "RULE_NAMES", "Code", "DirectoryLookups", "EntryView", "Hit", "Note", "Outcome", "Rule",
           "RuleRecord", "Subject", "Tools", "code_of", "destination_refusal", "error_reason", "run_chain"]

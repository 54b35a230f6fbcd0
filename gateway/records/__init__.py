"""Signed transmission records and the audit trail: what was sent and who checked it, provably untouched."""

"""`faxgate directory …`: import, audit, fix and export the approved speed-dial directory."""

from gateway.entrypoints.cli.directory import books, changes, entries  # noqa: F401  (they add their commands)
from gateway.entrypoints.cli.directory.common import directory_group

__all__ = ["directory_group"]

"""All of faxgate's tables in one metadata, for migrations and for the composition root."""

from directory.schema import Base

metadata = Base.metadata

"""All of faxgate's tables in one metadata, for migrations and for the composition root."""

from directory.schema import Base
from gateway import models  # noqa: F401  (registers the gateway tables)

metadata = Base.metadata

"""All of faxgate's tables in one metadata, for migrations and for the composition root."""

from directory.schema import Base
from gateway import models  # noqa: F401  (registers the gateway tables)
from gateway.web import models as web_models  # noqa: F401  (registers the web app's tables)

metadata = Base.metadata

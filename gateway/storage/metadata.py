"""All of faxgate's tables in one metadata, for migrations and for the composition root."""

from gateway.storage.directory_tables import Base
from gateway.storage import tables as models  # noqa: F401  (registers the gateway tables)
from gateway.storage import web_tables as web_models  # noqa: F401  (registers the web app's tables)
from gateway.storage import notice_tables  # noqa: F401  (registers the notices waiting to go, approvers told)
from gateway.storage import near_miss_tables  # noqa: F401  (registers the destinations refused at once)
from gateway.storage import inbox_tables  # noqa: F401  (registers the in-house deliveries)

metadata = Base.metadata

"""How a job moves: configuration, database, command line (and, as they land, SMTP intake, worker, relay, web)."""

import warnings

# pyHanko imports cryptography's DSA, which cryptography 51 deprecates: a notice for pyHanko's
# maintainers that would otherwise be printed into the JSON log stream on stderr.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")

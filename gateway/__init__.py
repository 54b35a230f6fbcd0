"""How a job moves: configuration, database, command line (and, as they land, SMTP intake, worker, relay, web)."""

"""The rules in-process: dial plan, recognizers, policy, confirmation, web rules; no server, no database file."""

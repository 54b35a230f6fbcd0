"""Use cases over the database: receive, screen, confirm, relay, users, directory changes, page previews."""

"""The doors: SMTP intake, HTTP API, web app, command line, worker, the serving process."""

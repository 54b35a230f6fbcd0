"""The running gateway through its doors: SMTP, the API, the web app over HTTP and in a browser, the CLI and deploy processes."""

"""The `faxgate` command line."""

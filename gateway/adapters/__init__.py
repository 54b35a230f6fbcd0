"""The outside systems faxgate talks to: fax relays (SMTP, HylaFAX), mail notices, LDAP, metrics."""

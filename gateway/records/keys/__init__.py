"""Where the records' signing key lives: files, or a PKCS#11 token."""

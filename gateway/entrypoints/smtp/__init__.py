"""SMTP intake (aiosmtpd) and its writer process: messages from the devices, stored before the 250."""

"""One component with its real peers: the database, Tesseract, PDFium, the PKI, an SMTP, HylaFAX or TSA server."""

"""Untrusted fax documents: what they become (model), what kind they are (sniff), their pages at
fax resolution (load, render_pdf, render_tiff), a cover sheet put in front (prepend), all parsing
done in one isolated, limited child process (sandbox)."""

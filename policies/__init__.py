"""What may be sent: pages at fax resolution, text and OCR, personal-data recognizers, masking."""

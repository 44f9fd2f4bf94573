"""Employee lists imported from CSV or XLSX files: upload, column mapping, check and preview, confirmation."""

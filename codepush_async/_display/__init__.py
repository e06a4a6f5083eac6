"""Notebook and terminal views of results: tables, HTML, records, the joined history."""

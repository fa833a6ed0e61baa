"""Ingest: read a batch folder, check every rule of DATA-REQUIREMENTS.md, apply it at once or not at all."""

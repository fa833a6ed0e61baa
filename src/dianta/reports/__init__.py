"""Reports and published documents: account reports, the data requirement table (page and template)."""

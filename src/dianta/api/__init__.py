"""The REST API (FastAPI), versioned under /api/v1: thin routers over the service functions."""

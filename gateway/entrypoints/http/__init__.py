"""The HTTP API (FastAPI) and the operations endpoints."""

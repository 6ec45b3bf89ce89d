"""The HTTP front door: an ASGI app serving the OpenAI-compatible API and operations endpoints."""

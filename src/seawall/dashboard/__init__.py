"""The dashboard under ``/ui``: server-rendered pages over the store, signed in with an API key."""

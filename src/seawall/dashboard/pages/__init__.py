"""One module per dashboard page (or group of pages): handlers ``(dashboard, request, viewer)``."""

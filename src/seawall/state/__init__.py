"""Shared state behind one protocol: in process by default, Redis for several replicas."""

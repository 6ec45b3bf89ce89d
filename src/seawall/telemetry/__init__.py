"""Call records, the batching recorder and Prometheus metrics."""

"""Guards: detectors that inspect requests and answers (PII, secrets, prompt injection)."""

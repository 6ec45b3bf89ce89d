"""Cost and traffic control before a call: rate limits, budgets, concurrency, cache keys, tokens.

Pure decisions and thin services over the shared-state protocol; the admit and cache stages of
the pipeline call them. Policies are small frozen dataclasses mapped from the config by the
composition root, so this package never reads the config itself.
"""

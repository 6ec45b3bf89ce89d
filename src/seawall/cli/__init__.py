"""The ``seawall`` command line: one module per command group."""

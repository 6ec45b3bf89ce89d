"""Drift: the inputs and outcomes of each route compared with a reference window.

Import from the modules (``seawall.drift.monitor.DriftMonitor``,
``seawall.drift.config.DriftConfig``): this package stays empty so that the config model can be
imported without the store.
"""

"""Alerts: rules over the call records with hysteresis, SLO burn rates, notifiers, exports.

Import from the modules (``seawall.alerts.engine.AlertEngine``,
``seawall.alerts.events.AlertSignal``, ``seawall.alerts.config.AlertsConfig``): this package
stays empty so that the config model can be imported without the engine and the store.
"""

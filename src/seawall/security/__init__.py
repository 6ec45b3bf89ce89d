"""Identity and accountability: virtual API keys, roles and tenants, the audit log, retention."""

"""Telephony admin console: the audit trail every admin change goes through, and the /admin page."""

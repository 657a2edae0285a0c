"""Lines and agent accounts edited from /admin: queues.yaml and users.yaml rewritten (validated, previous kept),
the running controller updated in place, Asterisk updated without dropping calls."""

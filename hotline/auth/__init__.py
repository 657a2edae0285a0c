"""Users, roles, login sessions: one home for who may do what (HTTP checks live in hotline.api.deps)."""

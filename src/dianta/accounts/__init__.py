"""Accounts: the staged pipeline load → aggregate (engine) → calculate → evaluate → publish."""

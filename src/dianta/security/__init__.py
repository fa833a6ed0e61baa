"""Security: who is asking (authentication), what they may do (authorisation), what they did (audit)."""

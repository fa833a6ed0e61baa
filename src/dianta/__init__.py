"""Dianta (电碳): enterprise electricity-carbon accounts for banks."""

__version__ = "0.15.0"

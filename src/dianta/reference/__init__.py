"""Versioned reference data: emission factors, code tables and methodology profiles (data files)."""

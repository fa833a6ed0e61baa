"""Green finance: loan pricing, interest saved, financed emissions, transition risk (METHODOLOGY.md §8)."""

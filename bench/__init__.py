"""Benchmarks, run by hand (never by CI as a timed test)."""

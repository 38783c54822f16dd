"""Helpers shared by the tests, the benchmarks and `bridge demo`: real servers on loopback."""

"""Real servers and processes on loopback: shipped for `bridge demo`, used by tests and bench."""

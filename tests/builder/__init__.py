"""Tests of the rule builder (bridge/builder) and its admin API routes."""

"""`bridge web` pieces: the access log never carries a query-string token."""

from __future__ import annotations

import logging

from bridge.web.server import RedactQuery


def test_access_log_drops_query_strings() -> None:
    """uvicorn's access line for /hooks/x?token=... keeps the path, not the token."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", "/hooks/form?token=s3cr3t", "1.1", 202),
        None,
    )
    assert RedactQuery().filter(record)
    line = record.getMessage()
    assert "s3cr3t" not in line
    assert "/hooks/form?[redacted]" in line

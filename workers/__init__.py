"""Process entry points: the arq worker settings and the poller."""

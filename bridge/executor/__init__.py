"""The executor: routes stored events to rule runs on arq and runs their steps."""

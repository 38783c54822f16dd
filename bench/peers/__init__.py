"""The bridge beside n8n and Node-RED in one run: `python -m bench.peers` (see __main__)."""

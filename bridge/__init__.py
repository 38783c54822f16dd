"""perfex-bridge: a self-hosted automation bridge for Perfex CRM."""

__version__ = "0.1.0"

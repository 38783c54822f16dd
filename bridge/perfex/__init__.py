"""The Perfex API: the HTTP client, PHP-style form encoding and the operation catalogue."""

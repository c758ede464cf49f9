"""Real servers for the tests, on loopback in temp dirs (shared/notes/test-servers.md)."""

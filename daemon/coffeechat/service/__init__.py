"""The service loop: wires the domain to the adapters and the store."""

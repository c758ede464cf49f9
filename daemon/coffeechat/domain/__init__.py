"""Pure domain logic: no I/O, no global clock. Adapters and the service loop call into it."""

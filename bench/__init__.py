"""The benchmark harness: a deterministic data generator, load scenarios against a real server, and the
database floor (the same data fetched with hand-written SQL). Run it with ``rapport bench``."""

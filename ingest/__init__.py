"""Loading sales lines into the store: reading, validating and committing, plus demo data."""

import os

# Polars allocates through jemalloc and asks it to hand freed pages back after 0.5 s (dirty) and
# 1 s (muzzy: released lazily, still counted in the process's memory). An ingest frees the file's
# text and its parsed copies just before DuckDB inserts the lines, so those pages still counted
# while DuckDB's memory grew (10M lines: peak 6.2-6.5 GB). Releasing them at once, from jemalloc's
# own thread, kept the peak at 5.8-5.9 GB at the same speed. Polars adds this to its own settings
# when it loads, so it is set here, before anything imports Polars; a user's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,muzzy_decay_ms:0")

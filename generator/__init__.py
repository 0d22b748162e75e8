"""digest: a static-site generator for hand-curated news digests."""

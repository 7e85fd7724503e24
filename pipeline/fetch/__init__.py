"""Fetch stage: the catalogue, polite HTTP and crawling, column (listing) readers, the raw archive."""

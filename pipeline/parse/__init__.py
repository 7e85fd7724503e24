"""Parse stage: bytes -> page (encoding, one adapter per page template) -> report identity and section tree."""

"""Extract stage: numeric facts from text and tables, canonical indicators, consistency checks."""

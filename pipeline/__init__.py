"""China's annual rule-of-law government reports as tidy tables.

One package per stage, data flowing one way:
fetch (catalogue, crawl, listings/, archive: raw bytes) -> parse (encoding, adapters/, identity, divisions,
sections: page, report, section tree) -> extract (numerals, facts, tables, indicators, checks) -> publish
(schemas, validate, export, codebook, release: files). `rows` turns one capture into its rows in every table,
with parse and extract beneath it; run (build, cache, runlog, cli, evaluate) drives the stages.
"""

from pathlib import Path

__version__ = "0.1.0"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"  # the single source of truth for every table

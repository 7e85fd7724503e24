"""China's annual rule-of-law government reports as tidy tables.

Stages, one module each, data flowing one way:
raw bytes (archive, fetch) -> page (adapters) -> report (report) -> sections (sections)
-> facts (extract, indicators) -> checks -> tables (build) -> validated files (validate, export).
"""

__version__ = "0.1.0"

"""Publish stage: schemas, validation, Parquet/CSV export, codebook and releases."""

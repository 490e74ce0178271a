"""Verified RTL training data: ingest, split, filter, dedup, decontaminate, describe, augment, repair, export.

One module per stage; each stage is a function or small class over an iterator of ``Sample`` records.
``rtlgen data build CONFIG.yaml --out DIR`` runs a pipeline of stages (``rtlgen.datasets.pipeline``).
"""

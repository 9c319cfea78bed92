"""Imported once by the workers' fork server (flows/workers.py), so every worker forked from it starts
with trafilatura imported and langdetect's language profiles loaded (~0.3 s of CPU a worker otherwise,
spent inside its first page)."""

import trafilatura  # noqa: F401

from newsflow.transforms.normalize import load_language_profiles

load_language_profiles()

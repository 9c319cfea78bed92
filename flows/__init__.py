"""Prefect flows, tasks and the `newsflow` command line."""

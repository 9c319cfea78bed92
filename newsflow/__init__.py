"""newsflow: news articles in, clean DuckDB tables out.

The stage folders at the repository root are this package's rooms (docs/architecture.md):
`newsflow.acquire`, `newsflow.transforms`, `newsflow.warehouse`, `newsflow.expectations` and
`newsflow.flows`; `newsflow.settings` and `newsflow.cli` live here.
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsflow")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.1.0"


__version__ = VERSION = _version()

"""One typed settings object: defaults < config file < NEWSFLOW_* environment < CLI flags."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from newsflow import VERSION

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"  # the bundled sample corpus (package data)
CONFIG_ENV = "NEWSFLOW_CONFIG"
DEFAULT_CONFIG = Path("newsflow.toml")


class Settings(BaseSettings):
    """Every knob newsflow has. Set in newsflow.toml, as NEWSFLOW_<NAME>, or by a CLI flag."""

    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", extra="forbid")

    db: Path = Field(Path("newsflow.duckdb"), description="DuckDB warehouse file")
    batch_size: int = Field(50, ge=1, description="articles per Prefect task")
    workers: int = Field(2, ge=1, description="tasks run at once")
    min_words: int = Field(25, ge=1, description="fewer words after cleaning = rejected as too_short")
    max_file_bytes: int = Field(20_000_000, ge=1, description="larger input files are rejected (decompressed size)")
    cache_extraction: bool = Field(True, description="reuse a batch's extraction results when its files, the code and these settings are unchanged (7 days)")
    lock_timeout: float = Field(10.0, ge=0, description="seconds to wait for another process's lock on the db")
    runner: Literal["threads", "processes", "dask"] = Field(
        "threads", description="where batches run: threads here, a local process pool, or Dask (see dask_address)")
    dask_address: str | None = Field(
        None, description="scheduler of an existing Dask cluster (tcp://host:8786); unset = a local cluster of `workers`")
    prefect_home: Path = Field(Path(".prefect"), description="PREFECT_HOME of the server `newsflow serve` starts")
    server_port: int = Field(4200, ge=1, le=65535, description="port of the server `newsflow serve` starts on 127.0.0.1")
    neardup_threshold: float = Field(0.5, ge=0.47, le=1.0, description="word-3-gram Jaccard at which a text is a near-duplicate (docs/dedup.md)")
    story_threshold: float = Field(0.22, gt=0, le=1.0, description="TF-IDF cosine to a story's centroid that joins it")
    story_window_hours: float = Field(72, gt=0, description="a story takes articles within this many hours of its span")
    dq_enabled: bool = Field(True, description="validate each run's batch with the GX suites before loading")
    dq_languages: list[str] = Field([], description="languages an article may have; empty = any (language is recorded, never a reason to quarantine)")
    dq_min_language_prob: float = Field(0.80, ge=0, le=1, description="lowest trusted langdetect probability (checked only with dq_languages set)")
    dq_max_words: int = Field(50_000, ge=1, description="more words = quarantined")
    dq_min_title_rate: float = Field(0.80, ge=0, le=1, description="share of a batch that must have a title")
    dq_max_duplicate_rate: float = Field(0.5, ge=0, le=1, description="duplicates/inputs above this = warning")
    dq_max_reject_rate: float = Field(0.25, ge=0, le=1, description="rejected/inputs above this = warning")
    dq_severity: dict[str, str] = Field({}, description='per-check severity overrides, e.g. {"text_no_residue": "critical"}')
    dq_docs_dir: Path | None = Field(None, description="build GX Data Docs for each ingest run into this folder")
    # Fetching from the web (docs/fetching.md). Names match flows.fetch.FetchOptions.
    sources: Path | None = Field(None, description="sources file (TOML) naming outlets, their feeds and sitemaps")
    refresh: bool = Field(False, description="refetch URLs already ingested, without conditional requests")
    raw_dir: Path | None = Field(None, description="where fetched bodies are kept (default: <db>.raw beside the db)")
    user_agent: str = Field(f"newsflow/{VERSION}", min_length=1,
                            description="User-Agent header; add a URL or address site owners can reach you at")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for a TCP/TLS connection")
    read_timeout: float = Field(30.0, gt=0, description="seconds to wait for each piece of a response")
    total_timeout: float = Field(120.0, gt=0, description="seconds one response may take, request to last byte")
    max_body_bytes: int = Field(20_000_000, ge=1, description="larger bodies (decompressed) are rejected as too_large")
    max_redirects: int = Field(5, ge=0, description="redirect hops followed")
    retries: int = Field(3, ge=0, description="extra tries after a timeout, connection error, 429 or 5xx")
    backoff_base: float = Field(1.0, ge=0, description="first retry waits about this many seconds, then doubles")
    backoff_max: float = Field(60.0, ge=0, description="longest wait between two tries")
    max_retry_after: float = Field(120.0, ge=0, description="a longer Retry-After gives up on the URL at once")
    min_host_delay: float = Field(1.0, ge=0, description="seconds between the starts of two requests to one host")
    max_crawl_delay: float = Field(30.0, ge=0, description="robots.txt Crawl-delay is capped at this")
    per_host_concurrency: int = Field(2, ge=1, description="requests in flight to one host")
    concurrency: int = Field(16, ge=1, description="requests in flight overall")
    obey_robots: bool = Field(True, description="fetch robots.txt once per host per run and obey it")
    allow_private_hosts: bool = Field(False, description="fetch from loopback, private and link-local addresses")
    allowed_networks: list[str] = Field([], description='non-public networks exempt from the guard, e.g. ["10.20.0.0/16"]')

    def fetch_options(self):
        """The fetcher's options, from these settings."""
        from newsflow.acquire.fetch import FetchOptions

        # Every FetchOptions field that is also a setting, by name (the names match on purpose).
        shared = {f.name: getattr(self, f.name) for f in fields(FetchOptions) if f.name in type(self).model_fields}
        return FetchOptions(**{**shared, "allowed_networks": tuple(self.allowed_networks)})

    def raw_store(self) -> Path:
        """The folder of fetched bodies: raw_dir, else `<db>.raw` beside the warehouse file."""
        return self.raw_dir or self.db.with_name(self.db.name + ".raw")

    @model_validator(mode="after")
    def _address_needs_dask(self):
        if self.dask_address and self.runner != "dask":
            raise ValueError(f"dask_address is set but runner is {self.runner!r}; use runner = \"dask\" (--runner dask)")
        return self

    def similarity_options(self):
        from newsflow.warehouse.similarity import SimilarityOptions

        return SimilarityOptions(self.neardup_threshold, self.story_threshold, self.story_window_hours)

    def quality_config(self):
        """The expectation thresholds, from these settings."""
        from newsflow.expectations.suites import QualityConfig

        return QualityConfig(
            languages=tuple(self.dq_languages), min_language_prob=self.dq_min_language_prob,
            min_words=self.min_words, max_words=self.dq_max_words, min_title_rate=self.dq_min_title_rate,
            max_duplicate_rate=self.dq_max_duplicate_rate, max_reject_rate=self.dq_max_reject_rate,
            severity=dict(self.dq_severity),
        )

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (init) beat the environment, which beats the config file.
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_path())


def config_path() -> Path | None:
    """The config file in force: $NEWSFLOW_CONFIG, else ./newsflow.toml if present."""
    if os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
        if not path.is_file():
            raise FileNotFoundError(f"{CONFIG_ENV} names {path}, which is not a file")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(**overrides) -> Settings:
    """Settings with CLI overrides applied; None values mean 'not given'."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

"""One typed settings object: defaults < config file < NEWSFLOW_* environment < CLI flags."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
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
    lock_timeout: float = Field(10.0, ge=0, description="seconds to wait for another process's lock on the db")
    dq_enabled: bool = Field(True, description="validate each run's batch with the GX suites before loading")
    dq_languages: list[str] = Field(["en"], min_length=1, description="languages an article may have")
    dq_min_language_prob: float = Field(0.80, ge=0, le=1, description="lowest trusted langdetect probability")
    dq_max_words: int = Field(50_000, ge=1, description="more words = quarantined")
    dq_min_title_rate: float = Field(0.80, ge=0, le=1, description="share of a batch that must have a title")
    dq_max_duplicate_rate: float = Field(0.5, ge=0, le=1, description="duplicates/inputs above this = warning")
    dq_max_reject_rate: float = Field(0.25, ge=0, le=1, description="rejected/inputs above this = warning")
    dq_severity: dict[str, str] = Field({}, description='per-check severity overrides, e.g. {"text_no_residue": "critical"}')
    dq_docs_dir: Path | None = Field(None, description="build GX Data Docs for each ingest run into this folder")

    def quality_config(self):
        """The expectation thresholds, from these settings."""
        from expectations.suites import QualityConfig

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

"""One typed settings object: defaults < config file < NEWSFLOW_* environment < CLI flags."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Literal

from pydantic import ByteSize, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from newsflow.acquire.options import FetchOptions
from newsflow.expectations.suites import QualityConfig
from newsflow.warehouse.options import SimilarityOptions

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"  # the bundled sample corpus (package data)
CONFIG_ENV = "NEWSFLOW_CONFIG"
DEFAULT_CONFIG = Path("newsflow.toml")


GROUPS = ("fetch", "quality", "similarity")


class Settings(BaseSettings):
    """Every knob newsflow has. Set in newsflow.toml, as NEWSFLOW_<NAME>, or by a CLI flag.

    The fetcher's, the data-quality suites' and the similarity stages' options are groups owned by
    their stages (`fetch`, `quality`, `similarity`): `[fetch]` in TOML, NEWSFLOW_FETCH__USER_AGENT
    in the environment. Their defaults live in those models only.
    """

    # allow_inf_nan=False: `--lock-timeout inf` is a usage error, not an overflow deep in a run.
    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", env_nested_delimiter="__", extra="forbid",
                                      allow_inf_nan=False)

    db: Path = Field(Path("newsflow.duckdb"), description="DuckDB warehouse file")
    batch_size: int = Field(50, ge=1, description="articles per Prefect task")
    workers: int = Field(2, ge=1, description="tasks run at once")
    min_words: int = Field(25, ge=1, description="fewer words after cleaning = rejected as too_short")
    max_file_bytes: int = Field(20_000_000, ge=1, description="larger input files are rejected (decompressed size)")
    follow_symlinks: bool = Field(False, description="follow symbolic links inside scanned folders (files named directly are always followed)")
    skip_unchanged_files: bool = Field(True, description=(
        "count a file whose path, outlet and stat stamp match an earlier committed run's record (file_state) as "
        "unchanged without reading it; false: every file is read and gets a documents row at every run"))
    cache_extraction: bool = Field(True, description="reuse a batch's extraction results when its files, the code and these settings are unchanged (7 days)")
    # 256 MiB: a 5k-page run's commit uses ~150 MB of DuckDB memory, so only larger runs spill; 512 MiB
    # let a 50k run's commit hold ~360 MB more than a 5k run's (BENCHMARKS.md, "Peak RSS at 5k and 50k").
    db_memory_limit: ByteSize = Field(ByteSize(256 * 2**20), gt=2**20, description=(
        "DuckDB memory_limit while a run writes the warehouse (e.g. \"256MiB\", \"2GB\"): beyond it DuckDB spills the "
        "run's uncommitted rows to <db>.tmp beside the warehouse, so a large run's memory stays bounded"))
    lock_timeout: float = Field(10.0, ge=0, le=366 * 86400, description="seconds to wait for another process's lock on the db")
    runner: Literal["threads", "processes", "dask"] = Field(
        "threads", description=(
            "where batches run: threads or processes (the same: tasks in threads of the flow's process, their items in "
            "up to `workers` worker processes the run starts when it has more than one batch), or Dask (see dask_address)"))
    dask_address: str | None = Field(
        None, description="scheduler of an existing Dask cluster (tcp://host:8786); unset = a local cluster of `workers`")
    prefect_home: Path = Field(Path(".prefect"), description="PREFECT_HOME of the server `newsflow serve` starts")
    server_port: int = Field(4200, ge=1, le=65535, description="port of the server `newsflow serve` starts on 127.0.0.1")
    shutdown_grace: float = Field(30.0, ge=0, le=86400, description=(
        "seconds `newsflow serve` lets running flow runs finish after SIGTERM/Ctrl-C before cancelling them"))
    sources: Path | None = Field(None, description="sources file (TOML) naming outlets, their feeds and sitemaps")
    source_name: str | None = Field(None, min_length=1, description="outlet stored in documents.source for the run's command-line inputs")
    refresh: bool = Field(False, description="refetch URLs already ingested, without conditional requests")
    raw_dir: Path | None = Field(None, description="where fetched bodies are kept (default: <db>.raw beside the db)")
    fetch: FetchOptions = Field(default_factory=FetchOptions, description="the web fetcher (docs/fetching.md)")
    quality: QualityConfig = Field(default_factory=QualityConfig, description="data-quality checks (docs/quality.md)")
    similarity: SimilarityOptions = Field(default_factory=SimilarityOptions,
                                          description="near-duplicates and stories (docs/dedup.md)")

    def raw_store(self) -> Path:
        """The folder of fetched bodies: raw_dir, else `<db>.raw` beside the warehouse file."""
        return self.raw_dir or self.db.with_name(self.db.name + ".raw")

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data):
        """A group's option given by its own name (user_agent=..., a CLI flag's) goes into its group."""
        if not isinstance(data, dict):
            return data
        out = {k: v for k, v in data.items() if k in cls.model_fields}
        for name, value in data.items():
            if name in cls.model_fields:
                continue
            group = next((g for g in GROUPS if name in _fields(cls.model_fields[g].annotation)), None)
            if group is None:
                out[name] = value  # unknown: extra="forbid" reports it
                continue
            current = out.get(group)
            if current is not None and not isinstance(current, dict):  # a model given whole: fold into a dict
                current = current.model_dump() if hasattr(current, "model_dump") else dict(current.__dict__)
            out[group] = {**(current or {}), name: value}
        return out

    @field_validator("db")
    @classmethod
    def _db_is_a_file_name(cls, value: Path) -> Path:
        if not value.name or value.name in (".", ".."):
            given = "an empty path" if str(value) == "." else repr(str(value))
            raise ValueError(f"{given} names no file; give the warehouse file, e.g. newsflow.duckdb")
        return value

    @model_validator(mode="after")
    def _check(self):
        if self.dask_address and self.runner != "dask":
            raise ValueError(f"dask_address is set but runner is {self.runner!r}; use runner = \"dask\" (--runner dask)")
        # One min_words for the whole run: the too_short reject and the word-count check agree.
        object.__setattr__(self, "quality", self.quality.with_min_words(self.min_words))
        return self

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


def _fields(model) -> dict:
    return getattr(model, "model_fields", None) or model.__pydantic_fields__


def default_of(name: str):
    """The default of a setting by its name, top-level or in a group (CLI help reads it here, never a copy)."""
    for model in (Settings, *(Settings.model_fields[g].annotation for g in GROUPS)):
        field = _fields(model).get(name)
        if field is not None:
            return field.default if field.default_factory is None else field.default_factory()
    raise KeyError(f"unknown setting {name!r}")


class UnknownSetting(ValueError):
    """A NEWSFLOW_* environment variable or a key of the config file names no setting."""


def unknown_environment(environ=os.environ) -> list[str]:
    """Messages for NEWSFLOW_* variables that name no setting (pydantic ignores them; a typo would go unseen)."""
    known = {CONFIG_ENV, *(f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields)}
    nested = {f"NEWSFLOW_{g.upper()}__{name.upper()}" for g in GROUPS for name in _fields(Settings.model_fields[g].annotation)}
    messages = []
    for var in sorted(environ):
        head = var.split("__", 1)[0]
        if not var.startswith("NEWSFLOW_"):
            continue
        if head not in known:
            close = difflib.get_close_matches(head, known, n=1)
        elif head != var and head.removeprefix("NEWSFLOW_").lower() in GROUPS \
                and "__".join(var.split("__")[:2]) not in nested:  # a group's option (its own keys may follow)
            close = difflib.get_close_matches(var, nested, n=1)
        else:
            continue
        messages.append(_names_no_setting(var, close))
    return messages


def unknown_in_config(path: Path | None) -> list[str]:
    """Messages for keys of the config file that name no setting, each with its closest name."""
    import tomllib

    if path is None:
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = {g: _fields(Settings.model_fields[g].annotation) for g in GROUPS}
    # Top level: the settings, and a group's options by their own names (routed into their group).
    top = {*Settings.model_fields, *(name for fields in groups.values() for name in fields)}
    messages = []
    for key, value in data.items():
        if key in groups and isinstance(value, dict):
            messages += [_unknown_key(path, f"[{key}] {sub}", sub, groups[key]) for sub in value if sub not in groups[key]]
        elif key not in top:
            messages.append(_unknown_key(path, key, key, top))
    return messages


def _unknown_key(path: Path, where: str, key: str, known) -> str:
    return _names_no_setting(f"{path}: {where}", difflib.get_close_matches(key, list(known), n=1))


def _names_no_setting(what: str, close: list[str]) -> str:
    """The message for a variable or config key that names no setting, with its closest name if any."""
    return f"{what} names no setting" + (f" (did you mean {close[0]}?)" if close else "") + "; `newsflow config` lists them"


def load_settings(**overrides) -> Settings:
    """Settings with overrides applied (a group's options by their own names, or a group as a dict);
    None values mean 'not given'. A NEWSFLOW_* variable or a config file key that names no setting
    is an UnknownSetting."""
    if unknown := unknown_environment() + unknown_in_config(config_path()):
        raise UnknownSetting("; ".join(unknown))
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

"""The index's configuration: weights, scales, k, outcomes; loaded from YAML and fingerprinted."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import BadInput
from .columns import OUTCOMES

# The eight axes of DESIGN §5, in the order they are shown to people.
AXES: tuple[str, ...] = (
    "location",
    "participants",
    "nature",
    "sector",
    "weekend",
    "summer",
    "emprise",
    "duration",
)
# Axes whose distance is a log-ratio divided by the scale; the others use the scale as a no-op (1).
SCALED_AXES: frozenset[str] = frozenset({"location", "participants", "emprise", "duration"})


@dataclass(frozen=True)
class AxisParams:
    weight: float
    scale: float
    description_fr: str
    description_en: str


@dataclass(frozen=True)
class SimilarityConfig:
    axes: dict[str, AxisParams]
    k: int = 10
    outcomes: tuple[str, ...] = OUTCOMES
    risk_outcome: str = "offences_total"
    backtest_days: int = 365
    source: str = field(default="", compare=False)

    @property
    def total_weight(self) -> float:
        return float(sum(p.weight for p in self.axes.values()))

    def weight(self, axis: str) -> float:
        return self.axes[axis].weight

    def scale(self, axis: str) -> float:
        return self.axes[axis].scale

    def canonical(self) -> dict[str, Any]:
        """Everything that changes a result, in a stable form (descriptions included: they are published)."""
        return {
            "k": self.k,
            "outcomes": list(self.outcomes),
            "risk_outcome": self.risk_outcome,
            "backtest_days": self.backtest_days,
            "axes": {
                name: {
                    "weight": float(p.weight),
                    "scale": float(p.scale),
                    "description_fr": p.description_fr,
                    "description_en": p.description_en,
                }
                for name, p in ((a, self.axes[a]) for a in AXES)
            },
        }

    def canonical_json(self) -> str:
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def fingerprint(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def with_weights(self, **weights: float) -> SimilarityConfig:
        """A copy with some weights changed (used by what-if analyses and tests)."""
        axes = dict(self.axes)
        for name, value in weights.items():
            if name not in axes:
                raise BadInput(f"unknown axis {name!r}; axes: {', '.join(AXES)}")
            axes[name] = replace(axes[name], weight=float(value))
        return _validated(replace(self, axes=axes))

    def with_k(self, k: int) -> SimilarityConfig:
        return _validated(replace(self, k=k))


def default_config_path() -> Path:
    return Path(str(resources.files("observatoire.similarity").joinpath("default_config.yml")))


def load_config(path: Path | str | None = None) -> SimilarityConfig:
    """Read a configuration file (the packaged default when ``path`` is None) and validate it."""
    source = Path(path) if path is not None else default_config_path()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise BadInput(f"cannot read the similarity configuration {source}: {error}") from error
    config = config_from_dict(data)
    return replace(config, source=str(source))


def config_from_dict(data: Any) -> SimilarityConfig:
    if not isinstance(data, dict) or not isinstance(data.get("axes"), dict):
        raise BadInput("the similarity configuration must be a mapping with an 'axes' mapping")
    axes_data: dict[str, Any] = data["axes"]
    unknown = sorted(set(axes_data) - set(AXES))
    missing = [a for a in AXES if a not in axes_data]
    if unknown or missing:
        raise BadInput(f"similarity axes: unknown {unknown}, missing {missing}; expected {list(AXES)}")
    axes: dict[str, AxisParams] = {}
    for name in AXES:
        entry = axes_data[name] or {}
        try:
            axes[name] = AxisParams(
                weight=float(entry.get("weight", 0.0)),
                scale=float(entry.get("scale", 1.0)),
                description_fr=str(entry.get("description_fr", name)),
                description_en=str(entry.get("description_en", name)),
            )
        except (TypeError, ValueError) as error:
            raise BadInput(f"similarity axis {name!r}: weight and scale must be numbers ({error})") from error
    outcomes = tuple(data.get("outcomes") or OUTCOMES)
    return _validated(
        SimilarityConfig(
            axes=axes,
            k=int(data.get("k", 10)),
            outcomes=outcomes,
            risk_outcome=str(data.get("risk_outcome", outcomes[0])),
            backtest_days=int(data.get("backtest_days", 365)),
        )
    )


def _validated(config: SimilarityConfig) -> SimilarityConfig:
    for name, p in config.axes.items():
        if p.weight < 0 or p.scale <= 0:
            raise BadInput(f"similarity axis {name!r}: weight must be >= 0 and scale > 0")
    if config.total_weight <= 0:
        raise BadInput("similarity configuration: at least one axis must have a positive weight")
    if config.k < 1:
        raise BadInput("similarity configuration: k must be at least 1")
    unknown = [o for o in config.outcomes if o not in OUTCOMES]
    if unknown:
        raise BadInput(f"similarity configuration: unknown outcomes {unknown}; known: {list(OUTCOMES)}")
    if config.risk_outcome not in config.outcomes:
        raise BadInput(f"similarity configuration: risk_outcome {config.risk_outcome!r} is not an outcome")
    if config.backtest_days < 1:
        raise BadInput("similarity configuration: backtest_days must be at least 1")
    return config

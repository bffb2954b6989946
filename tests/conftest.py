"""Shared test helpers: where the fixtures live and how to read them byte-exactly."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def read_exact(path: Path) -> str:
    """File text with line endings and a BOM kept, as the CLI reads it."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def all_dockerfiles() -> list[Path]:
    """Every Dockerfile under fixtures/ (syntax cases, pass pairs, example apps)."""
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Dockerfile" in p.name)

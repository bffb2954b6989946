"""A real engine for the verify tests: the e2e fixture, shared."""

from tests.e2e.conftest import engine

__all__ = ["engine"]

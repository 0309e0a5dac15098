"""Fixtures for end-to-end tests: real bot processes, and the fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.replicas import Replicas


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[Replicas]:
    made = Replicas(tmp_path)
    yield made
    await made.kill_all()


@pytest.fixture
async def model() -> AsyncIterator[FakeOpenAI]:
    """A fake OpenAI-compatible server on 127.0.0.1, for tests that configure a model."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()

"""Shared pytest fixtures and settings for the rnnlesson tests."""

import os

import numpy as np
import pytest

# Plots in tests are drawn off-screen; notebooks run by nbval keep their own backend.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator, so every test draws the same numbers on every run."""
    return np.random.default_rng(1234)

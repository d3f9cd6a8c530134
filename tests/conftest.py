"""Shared pytest fixtures and settings for the rnnlesson tests."""

import os

import numpy as np
import pytest

# Plots in tests are drawn off-screen. The kernels that nbval starts for the notebooks
# draw inline as in Jupyter: executed_notebooks.py starts them without this variable.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator, so every test draws the same numbers on every run."""
    return np.random.default_rng(1234)


def pytest_configure(config):
    # Registered as a plugin (not written as hooks here) so that it also sees the notebook
    # items under notebooks/, which this directory's conftest hooks would not.
    from executed_notebooks import ExecutedNotebooks

    config.pluginmanager.register(ExecutedNotebooks(), "rnnlesson-executed-notebooks")

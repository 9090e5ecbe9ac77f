"""Fixtures for the disclosure-check tests: generated microdata."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from .helpers import PREFECTURES


@pytest.fixture
def microdata() -> pa.Table:
    """Claims: 3 000 rows over 600 persons; Tottori is rare so some of its cells are small."""
    rng = np.random.default_rng(20)
    n = 3000
    person = rng.integers(0, 600, n)
    weights = np.array([0.3, 0.4, 0.295, 0.005])
    return pa.table(
        {
            "person_id": [f"{p:064x}" for p in person],
            "prefecture": np.array(PREFECTURES)[rng.choice(4, n, p=weights)],
            "sex": rng.choice(np.array(["F", "M"]), n),
            "cost": np.round(rng.lognormal(6, 0.5, n), 2),
        }
    )

import json
from pathlib import Path

import pytest

from tre.errors import InputError
from tre.sdc import SdcParams

REPO = Path(__file__).resolve().parents[3]


def test_defaults_are_acro_1_0_2() -> None:
    p = SdcParams()
    assert (p.threshold, p.nk_n, p.nk_k, p.p_ratio, p.min_residual_df) == (10, 2, 0.9, 0.1, 10)
    assert p.max_file_bytes == 16 * 1024 * 1024
    assert p.allowed_types == {"csv", "tsv", "txt", "md", "json", "png", "jpeg"}
    assert p.zeros == "disclosive" and p.unchecked == "block" and p.profile == "acro"


def test_policy_data_json_by_tier() -> None:
    data = json.loads((REPO / "policies" / "data.json").read_text())
    standard = SdcParams.from_mapping(data)
    high = SdcParams.from_mapping(data, "high")
    assert standard.threshold == 10
    assert high.threshold > standard.threshold
    assert high.nk_k <= standard.nk_k


def test_acro_names_aliases_and_unknown_keys() -> None:
    p = SdcParams.from_mapping(
        {
            "safe_threshold": 5,
            "safe_nk_k": 0.8,
            "zeros_are_disclosive": False,
            "colour": "red",
            "allowed_types": [".CSV", "jpg"],
            "p_ratio": 10,
        }
    )
    assert (p.threshold, p.nk_k, p.zeros, p.p_ratio) == (5, 0.8, "structural", 0.1)
    assert p.allowed_types == {"csv", "jpeg"}


def test_acros_zeros_are_disclosive_means_zeros_block() -> None:
    disclosive = SdcParams.from_mapping({"zeros_are_disclosive": True})
    assert (disclosive.zeros, disclosive.zeros_severity) == ("disclosive", "block")
    assert SdcParams.from_mapping({"zeros_are_disclosive": False}).zeros_severity == "info"


def test_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="threshold"):
        SdcParams.from_mapping({"threshold": "ten"})

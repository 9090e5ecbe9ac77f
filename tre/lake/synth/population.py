"""Synthetic patients for one chunk: demographics, direct identifiers and Patient JSON lines.

Direct identifiers (names in kanji and kana, maiden names, mobile numbers, addresses down to
the street number, postal codes, MRNs and insurance numbers) are deliberately realistic: they
are what the lake's pseudonymiser must remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from tre.lake.synth import fmt
from tre.lake.synth.vocab_people import (
    AGE_BANDS,
    FAMILY_NAMES,
    FEMALE_GIVEN,
    FEMALE_SHARE,
    MALE_GIVEN,
    PREFECTURES,
    TOWNS,
)

REFERENCE_DAY = int(np.datetime64("2025-04-01", "D").astype(np.int64))
WINDOW_DAYS = 3 * 365  # clinical events happen in the three years before REFERENCE_DAY
WINDOW_START_DAY = REFERENCE_DAY - WINDOW_DAYS

# Identifier systems. The MRN system is JP Core's patient-id OID followed by "1" and a
# 10-digit medical institution code (one demo hospital per prefecture); the insured-person
# number system is a local one (documented in docs/demo-data.md) that sources can use as
# their linkage identifier.
MRN_SYSTEM_PREFIX = "urn:oid:1.2.392.100495.20.3.51.1"
INSURANCE_SYSTEM = "urn:tre-demo:jp-insured-person-number"
PREFECTURE_CODE_SYSTEM = "urn:iso:std:iso:3166:-2"


@dataclass(frozen=True)
class Patients:
    """One chunk of patients; arrays are aligned by position."""

    ids: pa.Array
    age: np.ndarray
    female: np.ndarray
    birth_day: np.ndarray
    death_day: np.ndarray  # -1 when alive at REFERENCE_DAY
    prefecture: np.ndarray  # index into PREFECTURES

    def __len__(self) -> int:
        return len(self.age)


@cache
def _tables() -> dict[str, pa.Array]:
    return {
        "pref_name": fmt.vocab([p[1] for p in PREFECTURES]),
        "pref_romaji": fmt.vocab([p[2] for p in PREFECTURES]),
        "pref_city": fmt.vocab([p[3] for p in PREFECTURES]),
        "pref_iso": fmt.vocab([f"JP-{p[0]:02d}" for p in PREFECTURES]),
        "mrn_system": fmt.vocab([f"{MRN_SYSTEM_PREFIX}{p[0]:02d}10000001" for p in PREFECTURES]),
        "family_kanji": fmt.vocab([f[0] for f in FAMILY_NAMES]),
        "family_kana": fmt.vocab([f[1] for f in FAMILY_NAMES]),
        "given_kanji": fmt.vocab([g[0] for g in MALE_GIVEN + FEMALE_GIVEN]),
        "given_kana": fmt.vocab([g[1] for g in MALE_GIVEN + FEMALE_GIVEN]),
        "town": fmt.vocab(list(TOWNS)),
        "gender": fmt.vocab(["male", "female"]),
        "mobile": fmt.vocab(["090", "080", "070"]),
    }


def _probabilities(weights: tuple[int, ...] | list[int]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def draw_patients(rng: np.random.Generator, n: int) -> Patients:
    """Demographics following Japan's age pyramid, sex ratio by age and prefecture sizes."""
    band = rng.choice(len(AGE_BANDS), size=n, p=_probabilities(AGE_BANDS))
    age = band * 5 + rng.integers(0, 5, size=n)
    female = rng.random(n) < np.asarray(FEMALE_SHARE)[band]
    birth_day = REFERENCE_DAY - (age * 365.25).astype(np.int64) - rng.integers(1, 365, size=n)
    # Gompertz-like mortality, per year, over the three-year window.
    yearly = np.minimum(0.00005 * np.exp(0.087 * age), 0.5)
    dies = rng.random(n) < 1 - (1 - yearly) ** 3
    death_day = np.where(dies, WINDOW_START_DAY + rng.integers(30, WINDOW_DAYS, size=n), -1)
    death_day = np.where(death_day > birth_day, death_day, -1)
    pop = [p[4] for p in PREFECTURES]
    prefecture = rng.choice(len(PREFECTURES), size=n, p=_probabilities(pop))
    return Patients(fmt.hex_ids(rng, n), age, female, birth_day, death_day, prefecture)


def _name_entry(use: str, representation: str, family: pa.Array, given: pa.Array) -> list[fmt.Part]:
    return [
        '{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",'
        '"valueCode":"' + representation + '"}],"use":"' + use + '","text":"',
        family, "\u3000", given, '","family":"', family, '","given":["', given, '"]}',
    ]  # fmt: skip


def render_patients(rng: np.random.Generator, people: Patients, first_seq: int) -> pa.Array:
    """Patient resources as JSON lines (each ending in a newline)."""
    t = _tables()
    n = len(people)
    seq = np.arange(first_seq, first_seq + n, dtype=np.int64)
    family = rng.choice(len(FAMILY_NAMES), size=n, p=_probabilities([f[2] for f in FAMILY_NAMES]))
    given = np.where(
        people.female,
        len(MALE_GIVEN) + rng.integers(0, len(FEMALE_GIVEN), size=n),
        rng.integers(0, len(MALE_GIVEN), size=n),
    )
    maiden = people.female & (people.age >= 30) & (rng.random(n) < 0.5)
    maiden_family = (family + rng.integers(1, len(FAMILY_NAMES), size=n)) % len(FAMILY_NAMES)
    given_kanji, given_kana = fmt.take(t["given_kanji"], given), fmt.take(t["given_kana"], given)
    pref = people.prefecture
    lows = np.asarray([p[5] for p in PREFECTURES])[pref]
    highs = np.asarray([p[6] for p in PREFECTURES])[pref]
    postal = fmt.join(
        fmt.padded(rng.integers(lows, highs + 1), 3), "-", fmt.padded(rng.integers(0, 10000, n), 4)
    )
    line = fmt.join(
        fmt.take(t["town"], rng.integers(0, len(TOWNS), n)),
        fmt.num(rng.integers(1, 6, n)), "丁目",
        fmt.num(rng.integers(1, 31, n)), "-",
        fmt.num(rng.integers(1, 21, n)),
    )  # fmt: skip
    city, state = fmt.take(t["pref_city"], pref), fmt.take(t["pref_name"], pref)
    phone = fmt.join(
        fmt.take(t["mobile"], rng.integers(0, 3, n)), "-",
        fmt.padded(rng.integers(0, 10000, n), 4), "-", fmt.padded(rng.integers(0, 10000, n), 4),
    )  # fmt: skip
    mrn = fmt.padded((seq * 7919 + 104729) % 10**10, 10)
    insurer = fmt.padded(1_000_000 + (pref + 1) * 10_000 + rng.integers(0, 30, n), 8)
    insured = fmt.padded((seq * 48271 + 2_000_003) % 10**8, 8)
    deceased = people.death_day >= 0
    death_seconds = people.death_day * 86400 + rng.integers(0, 86400, n)
    return fmt.join(
        '{"resourceType":"Patient","id":"', people.ids,
        '","meta":{"profile":["http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient"]}',
        ',"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203",'
        '"code":"MR","display":"Medical record number"}]},"system":"',
        fmt.take(t["mrn_system"], pref), '","value":"', mrn, '"},'
        '{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203",'
        '"code":"MB","display":"Member Number"}]},"system":"' + INSURANCE_SYSTEM + '","value":"',
        insurer, "-", insured, '"}],"name":[',
        *_name_entry("official", "IDE", fmt.take(t["family_kanji"], family), given_kanji), ",",
        *_name_entry("official", "SYL", fmt.take(t["family_kana"], family), given_kana),
        fmt.when(maiden, fmt.join(",", *_name_entry(
            "maiden", "IDE", fmt.take(t["family_kanji"], maiden_family), given_kanji
        ))),
        '],"telecom":[{"system":"phone","value":"', phone, '","use":"mobile"}],"gender":"',
        fmt.take(t["gender"], people.female.astype(np.int64)),
        '","birthDate":"', fmt.dates(people.birth_day), '"',
        fmt.when(deceased, fmt.join(',"deceasedDateTime":"', fmt.timestamps(death_seconds), '"')),
        ',"address":[{"use":"home","text":"', state, city, line, '","line":["', line,
        '"],"city":"', city, '","state":"', state,
        '","_state":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-SC-coding",'
        '"valueCoding":{"system":"' + PREFECTURE_CODE_SYSTEM + '","code":"',
        fmt.take(t["pref_iso"], pref), '","display":"', fmt.take(t["pref_romaji"], pref),
        '"}}]},"postalCode":"', postal, '","country":"JP"}]}\n',
    )  # fmt: skip

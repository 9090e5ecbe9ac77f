"""Japanese clinical documents for one chunk of patients: FHIR document Bundles, one per line.

Every patient has a 健診結果報告書 (check-up report, 53576-5: body measurements, blood
pressure, HbA1c, LDL, the insurance Coverage and its insurer); about 60 % also a
診療情報提供書 (referral, 57133-1: diagnoses, a food allergy, a drug contraindication, an
infection test) and about 30 % a 退院時サマリー (discharge summary, 18842-5: an inpatient
stay, its principal diagnosis, discharge prescriptions with YJ/HOT codes and dosage,
laboratory results with JLAC10 codes and reference ranges). So the six items (傷病名,
アレルギー, 感染症, 薬剤禁忌, 検査, 処方) all occur.

Like JP-CLINS documents, entries are named by `urn:uuid:` fullUrls that differ from their
resource ids, and the Encounter of each document has no subject of its own. The Patient
carries the direct identifiers the lake must remove: kanji and katakana names, the hospital
MRN, the insurance identity 保険者番号:記号:番号:枝番 (番号 in full-width digits), phone,
address and postcode; the check-up Coverage repeats 記号, 番号 and 枝番 in full width.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.lake.synth import fmt
from tre.lake.synth import vocab_jp as v
from tre.lake.synth.population import (
    REFERENCE_DAY,
    WINDOW_DAYS,
    WINDOW_START_DAY,
    Patients,
    _name_entry,
    draw_patients,
)
from tre.lake.synth.population import _tables as people_tables
from tre.lake.synth.vocab_people import FAMILY_NAMES, FEMALE_GIVEN, MALE_GIVEN, PREFECTURES

RESOURCE_TYPE = "Bundle"
_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@cache
def _tables() -> dict[str, pa.Array]:
    return {
        "icd": fmt.vocab([d[0] for d in v.DISEASES]),
        "medis": fmt.vocab([d[1] for d in v.DISEASES]),
        "disease": fmt.vocab([d[2] for d in v.DISEASES]),
        "yj": fmt.vocab([d[0] for d in v.DRUGS]),
        "hot": fmt.vocab([d[1] for d in v.DRUGS]),
        "drug": fmt.vocab([d[2] for d in v.DRUGS]),
        "unit_code": fmt.vocab([d[3] for d in v.DRUGS]),
        "unit": fmt.vocab([d[4] for d in v.DRUGS]),
        "usage": fmt.vocab([u[0] for u in v.USAGES]),
        "usage_display": fmt.vocab([u[1] for u in v.USAGES]),
        "lab": fmt.vocab([lab[0] for lab in v.LABS]),
        "lab_display": fmt.vocab([lab[1] for lab in v.LABS]),
        "lab_unit": fmt.vocab([lab[2] for lab in v.LABS]),
        "infection": fmt.vocab([i[0] for i in v.INFECTIONS]),
        "infection_display": fmt.vocab([i[1] for i in v.INFECTIONS]),
        "result": fmt.vocab([r[0] for r in v.INFECTION_RESULTS]),
        "result_display": fmt.vocab([r[1] for r in v.INFECTION_RESULTS]),
        "food": fmt.vocab([f[0] for f in v.FOODS]),
        "food_display": fmt.vocab([f[1] for f in v.FOODS]),
        "disposition": fmt.vocab([d[0] for d in v.DISCHARGE_DISPOSITIONS]),
        "disposition_display": fmt.vocab([d[1] for d in v.DISCHARGE_DISPOSITIONS]),
        "pref_code": fmt.vocab([f"{p[0]:02d}" for p in PREFECTURES]),
        "institution": fmt.vocab([f"{p[0]:02d}10000001" for p in PREFECTURES]),
        "hospital": fmt.vocab([f"{p[1].rstrip('都府県')}医療センター" for p in PREFECTURES]),
        "clinic": fmt.vocab([f"{p[3]}みなと診療所" for p in PREFECTURES]),
        "kana": fmt.vocab(list(v.SYMBOL_KANA)),
        "full_digits": fmt.vocab([str(i).translate(_FULL_DIGITS) for i in range(10)]),
    }


def _entry(uuid: pa.Array, resource: pa.Array) -> list[fmt.Part]:
    return ['{"fullUrl":"urn:uuid:', uuid, '","resource":', resource, "}"]


def _ref(uuid: pa.Array) -> list[fmt.Part]:
    return ['{"reference":"urn:uuid:', uuid, '"}']


def _coding(system: str, code: fmt.Part, display: fmt.Part) -> list[fmt.Part]:
    return [
        '{"coding":[{"system":"' + system + '","code":"',
        code,
        '","display":"',
        display,
        '"}]}',
    ]


def _allergy(
    rid: pa.Array,
    kind: str,
    system: str,
    code: fmt.Part,
    display: fmt.Part,
    patient: pa.Array,
    date: fmt.Part,
) -> pa.Array:
    """AllergyIntolerance resources; `kind` holds their type, category (and criticality)."""
    return fmt.join(
        '{"resourceType":"AllergyIntolerance","id":"',
        rid,
        '","clinicalStatus":{"coding":[{"system":'
        '"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},'
        + kind
        + ',"code":{"coding":[{"system":"'
        + system
        + '","code":"',
        code,
        '","display":"',
        display,
        '"}]},"patient":{"reference":"urn:uuid:',
        patient,
        '"},"recordedDate":"',
        date,
        '"}',
    )


def _full_width(digits: pa.Array) -> pa.Array:
    """ASCII digit strings in full-width digits."""
    out = digits
    for i in range(10):
        out = pc.replace_substring(out, str(i), str(i).translate(_FULL_DIGITS))
    return out


def _organization(uuid: pa.Array, rid: pa.Array, pref: np.ndarray, name: pa.Array) -> pa.Array:
    t = _tables()
    return fmt.join(
        '{"resourceType":"Organization","id":"',
        rid,
        '","identifier":[{"system":"' + v.INSTITUTION_SYSTEM + '","value":"',
        fmt.take(t["institution"], pref),
        '"}],"extension":[{"url":"' + v.EXT + 'JP_Organization_PrefectureNo",'
        '"valueCoding":{"system":"' + v.PREFECTURE_SYSTEM + '","code":"',
        fmt.take(t["pref_code"], pref),
        '"}}],"name":"',
        name,
        '"}',
    )


def _patient(
    rng: np.random.Generator, people: Patients, seq: np.ndarray
) -> tuple[pa.Array, dict[str, pa.Array]]:
    """(Patient JSON, insurance number parts for the Coverage) for every patient."""
    n = len(people)
    pt, t = people_tables(), _tables()
    family = rng.integers(0, len(FAMILY_NAMES), n)
    given = np.where(
        people.female,
        len(MALE_GIVEN) + rng.integers(0, len(FEMALE_GIVEN), n),
        rng.integers(0, len(MALE_GIVEN), n),
    )
    pref = people.prefecture
    lows = np.asarray([p[5] for p in PREFECTURES])[pref]
    highs = np.asarray([p[6] for p in PREFECTURES])[pref]
    postal = fmt.join(
        fmt.padded(rng.integers(lows, highs + 1), 3), "-", fmt.padded(rng.integers(0, 10000, n), 4)
    )
    line = fmt.join(
        fmt.take(pt["town"], rng.integers(0, 30, n)),
        fmt.num(rng.integers(1, 6, n)),
        "丁目",
        fmt.num(rng.integers(1, 31, n)),
        "-",
        fmt.num(rng.integers(1, 21, n)),
    )
    city, state = fmt.take(pt["pref_city"], pref), fmt.take(pt["pref_name"], pref)
    phone = fmt.join(
        "0",
        fmt.num(rng.integers(3, 10, n)),
        "-",
        fmt.padded(rng.integers(0, 10000, n), 4),
        "-",
        fmt.padded(rng.integers(0, 10000, n), 4),
    )
    insurer = fmt.join("06", fmt.padded(pref + 1, 2), fmt.padded(rng.integers(0, 10000, n), 4))
    symbol = fmt.join(
        fmt.take(t["kana"], rng.integers(0, len(v.SYMBOL_KANA), n)),
        fmt.num(rng.integers(1, 100, n)),
    )
    number = fmt.padded((seq * 48271 + 3_000_017) % 10**7, 7)
    branch = fmt.padded(rng.integers(0, 4, n), 2)
    member = fmt.join(insurer, ":", symbol, ":", _full_width(number), ":", branch)
    mrn = fmt.padded((seq * 7919 + 104729) % 10**9, 9)
    patient = fmt.join(
        '{"resourceType":"Patient","id":"',
        people.ids,
        '","identifier":[{"system":"' + v.MRN_SYSTEM_PREFIX + '", "value":"',
        mrn,
        '"},{"system":"' + v.INSURANCE_MEMBER_SYSTEM + '","value":"',
        member,
        '"}],"name":[',
        *_name_entry(
            "official",
            "IDE",
            fmt.take(pt["family_kanji"], family),
            fmt.take(pt["given_kanji"], given),
        ),
        ",",
        *_name_entry(
            "official",
            "SYL",
            fmt.take(pt["family_kana"], family),
            fmt.take(pt["given_kana"], given),
        ),
        '],"telecom":[{"system":"phone","value":"',
        phone,
        '","use":"home"}],"gender":"',
        fmt.take(pt["gender"], people.female.astype(np.int64)),
        '","birthDate":"',
        fmt.dates(people.birth_day),
        '","address":[{"text":"',
        state,
        city,
        line,
        '","postalCode":"',
        postal,
        '","city":"',
        city,
        '","state":"',
        state,
        '","country":"JP"}]}',
    )
    insurance = {"insurer": insurer, "symbol": symbol, "number": number, "branch": branch}
    return patient, insurance


def _composition(
    rid: pa.Array,
    doc_type: str,
    title: str,
    subject: pa.Array,
    encounter: pa.Array,
    date: pa.Array,
    authors: list[pa.Array],
    sections: tuple[str, ...],
    section_system: str,
) -> pa.Array:
    section_json = ",".join(
        '{"code":{"coding":[{"system":"' + section_system + '","code":"' + s + '"}]}}'
        for s in sections
    )
    author_parts: list[fmt.Part] = []
    for i, author in enumerate(authors):
        author_parts += [("," if i else "") + '{"reference":"urn:uuid:', author, '"}']
    return fmt.join(
        '{"resourceType":"Composition","id":"',
        rid,
        '","status":"final","type":{"coding":'
        '[{"system":"'
        + v.DOC_TYPES
        + '","code":"'
        + doc_type
        + '","display":"'
        + title
        + '"}]},"subject":{"reference":"urn:uuid:',
        subject,
        '"},"encounter":{"reference":"urn:uuid:',
        encounter,
        '"},"date":"',
        date,
        '","author":[',
        *author_parts,
        '],"title":"' + title + '","section":[' + section_json + "]}",
    )


def _bundle(ids: pa.Array, date: pa.Array, entries: list[pa.Array]) -> pa.Array:
    parts: list[fmt.Part] = [
        '{"resourceType":"Bundle","id":"',
        ids,
        '","type":"document","timestamp":"',
        date,
        '","entry":[',
    ]
    for i, entry in enumerate(entries):
        parts += [("," if i else ""), entry]
    return fmt.join(*parts, "]}\n")


def _checkups(
    rng: np.random.Generator, people: Patients, patients: pa.Array, cov: dict[str, pa.Array]
) -> tuple[pa.Array, int]:
    t = _tables()
    n = len(people)
    day = WINDOW_START_DAY + rng.integers(0, WINDOW_DAYS, n)
    date, when = fmt.dates(day), fmt.timestamps(day * 86400 + 9 * 3600)
    u = {k: fmt.hex_ids(rng, n) for k in ("comp", "pat", "enc", "org", "ins", "cov")}
    r = {k: fmt.hex_ids(rng, n) for k in ("comp", "enc", "org", "ins", "cov", "bundle")}
    pref = people.prefecture
    comp = _composition(
        r["comp"],
        "53576-5",
        "検診・健診報告書",
        u["pat"],
        u["enc"],
        when,
        [u["org"]],
        ("01011",),
        v.CHECKUP_SECTIONS,
    )
    encounter = fmt.join(
        '{"resourceType":"Encounter","id":"',
        r["enc"],
        '","status":"finished","class":{"system":'
        '"http://jpfhir.jp/fhir/eCheckup/CodeSystem/encounter-category","code":"checkup"},'
        '"period":{"start":"',
        date,
        '","end":"',
        date,
        '"}}',
    )
    coverage = fmt.join(
        '{"resourceType":"Coverage","id":"',
        r["cov"],
        '","status":"active","type":{"coding":'
        '[{"system":"'
        + v.COVERAGE_TYPE
        + '","code":"1"}]},"extension":[{"url":"'
        + v.EXT
        + 'JP_Coverage_InsuredPersonSymbol",'
        '"valueString":"',
        cov["symbol"],
        '"},{"url":"' + v.EXT + 'JP_Coverage_InsuredPersonNumber","valueString":"',
        _full_width(cov["number"]),
        '"},{"url":"' + v.EXT + 'JP_Coverage_InsuredPersonSubNumber","valueString":"',
        _full_width(cov["branch"]),
        '"}],"subscriberId":"',
        cov["symbol"],
        ",",
        _full_width(cov["number"]),
        '","dependent":"',
        _full_width(cov["branch"]),
        '","beneficiary":{"reference":"urn:uuid:',
        u["pat"],
        '"},"relationship":{"coding":'
        '[{"system":"' + v.RELATIONSHIP + '","code":"1","display":"被保険者"}]},"payor":[',
        *_ref(u["ins"]),
        "]}",
    )
    insurer = fmt.join(
        '{"resourceType":"Organization","id":"',
        r["ins"],
        '","identifier":[{"system":"' + v.INSURER_SYSTEM + '","value":"',
        cov["insurer"],
        '"}],"name":"サンプル健康保険組合"}',
    )
    entries = [
        fmt.join(*_entry(u["comp"], comp)),
        fmt.join(*_entry(u["pat"], patients)),
        fmt.join(*_entry(u["enc"], encounter)),
        fmt.join(
            *_entry(
                u["org"], _organization(u["org"], r["org"], pref, fmt.take(t["hospital"], pref))
            )
        ),
        fmt.join(*_entry(u["cov"], coverage)),
        fmt.join(*_entry(u["ins"], insurer)),
    ]
    height = rng.normal(0, 1, n)
    for code, display, unit, mean, spread in v.CHECKUP:
        value = np.round(mean + spread * rng.normal(0, 1, n) * 0.7 + spread * 0.3 * height, 1)
        oid = fmt.hex_ids(rng, n)
        obs = fmt.join(
            '{"resourceType":"Observation","id":"',
            fmt.hex_ids(rng, n),
            '","status":"final",'
            '"category":[{"coding":[{"system":"' + v.OBS_CATEGORY + '","code":"exam"}]}],"code":',
            *_coding(v.CHECKUP_ITEMS, code, display),
            ',"subject":{"reference":"urn:uuid:',
            u["pat"],
            '"},"effectiveDateTime":"',
            date,
            '","valueQuantity":{"value":',
            fmt.num(value),
            ',"unit":"' + unit + '","system":"http://unitsofmeasure.org","code":"' + unit + '"}}',
        )
        entries.append(fmt.join(*_entry(oid, obs)))
    return _bundle(r["bundle"], when, entries), n * len(entries)


def _referrals(
    rng: np.random.Generator, people: Patients, patients: pa.Array, mask: np.ndarray
) -> tuple[pa.Array, int]:
    t = _tables()
    rows = np.flatnonzero(mask)
    n = len(rows)
    pref = people.prefecture[rows]
    day = WINDOW_START_DAY + rng.integers(0, WINDOW_DAYS, n)
    date, when = fmt.dates(day), fmt.timestamps(day * 86400 + 11 * 3600)
    u = {
        k: fmt.hex_ids(rng, n)
        for k in ("comp", "pat", "enc", "doc", "from", "to", "c1", "c2", "a1", "a2", "inf")
    }
    r = {
        k: fmt.hex_ids(rng, n)
        for k in ("comp", "enc", "doc", "from", "to", "c1", "c2", "a1", "a2", "inf", "bundle")
    }
    pt = people_tables()
    family = rng.integers(0, len(FAMILY_NAMES), n)
    given = rng.integers(0, len(MALE_GIVEN), n)
    doctor = fmt.join(
        '{"resourceType":"Practitioner","id":"',
        r["doc"],
        '","name":[',
        *_name_entry(
            "official",
            "IDE",
            fmt.take(pt["family_kanji"], family),
            fmt.take(pt["given_kanji"], given),
        ),
        "]}",
    )
    comp = _composition(
        r["comp"],
        "57133-1",
        "診療情報提供書",
        u["pat"],
        u["enc"],
        when,
        [u["doc"], u["from"]],
        v.REFERRAL_SECTIONS,
        v.SECTIONS,
    )
    encounter = fmt.join(
        '{"resourceType":"Encounter","id":"',
        r["enc"],
        '","status":"finished","class":{"system":'
        '"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"外来"},'
        '"period":{"start":"',
        date,
        '"}}',
    )
    weights = np.asarray([d[3] for d in v.DISEASES], dtype=float)
    entries = [
        fmt.join(*_entry(u["comp"], comp)),
        fmt.join(*_entry(u["pat"], fmt.take(patients, rows))),
        fmt.join(*_entry(u["enc"], encounter)),
        fmt.join(*_entry(u["doc"], doctor)),
        fmt.join(
            *_entry(
                u["from"], _organization(u["from"], r["from"], pref, fmt.take(t["clinic"], pref))
            )
        ),
        fmt.join(
            *_entry(u["to"], _organization(u["to"], r["to"], pref, fmt.take(t["hospital"], pref)))
        ),
    ]
    for i, key in enumerate(("c1", "c2")):
        d = rng.choice(len(v.DISEASES), size=n, p=weights / weights.sum())
        suspected = rng.random(n) < 0.15
        principal = (
            '"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/condition-diseaseDiagnosisType",'
            '"valueCodeableConcept":{"coding":[{"system":"'
            + v.DIAGNOSIS_TYPE
            + '","code":"principal","display":"主病名"}]}}],'
            if i == 0
            else ""
        )
        condition = fmt.join(
            '{"resourceType":"Condition","id":"',
            r[key],
            '",' + principal + '"clinicalStatus":{"coding":[{"system":'
            '"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},'
            '"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/'
            'condition-ver-status","code":"',
            fmt.take(fmt.vocab(["confirmed", "provisional"]), suspected.astype(np.int64)),
            '"}]},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/'
            'condition-category","code":"encounter-diagnosis"}]}],"code":{"coding":[{"system":"'
            + v.MEDIS_DISEASE
            + '","code":"',
            fmt.take(t["medis"], d),
            '","display":"',
            fmt.take(t["disease"], d),
            '"},{"system":"' + v.ICD10_JP + '","code":"',
            fmt.take(t["icd"], d),
            '"}]},"subject":{"reference":"urn:uuid:',
            u["pat"],
            '"},"encounter":{"reference":"urn:uuid:',
            u["enc"],
            '"},"onsetDateTime":"',
            fmt.dates(day - rng.integers(0, 400, n)),
            '"}',
        )
        entries.append(fmt.join(*_entry(u[key], condition)))
    food = rng.integers(0, len(v.FOODS), n)
    allergy = _allergy(
        r["a1"], '"type":"allergy","category":["food"]', v.FOOD_ALLERGEN,
        fmt.take(t["food"], food), fmt.take(t["food_display"], food), u["pat"], date,
    )  # fmt: skip
    drug = rng.integers(0, len(v.DRUGS), n)
    contraindication = _allergy(  # 薬剤禁忌
        r["a2"], '"type":"intolerance","category":["medication"],"criticality":"high"', v.YJ,
        fmt.take(t["yj"], drug), fmt.take(t["drug"], drug), u["pat"], date,
    )  # fmt: skip
    test = rng.integers(0, len(v.INFECTIONS), n)
    positive = (rng.random(n) < 0.05).astype(np.int64)
    infection = fmt.join(
        '{"resourceType":"Observation","id":"',
        r["inf"],
        '","status":"final","category":[{"coding":'
        '[{"system":"'
        + v.OBS_CATEGORY
        + '","code":"laboratory"}]}],"code":{"coding":[{"system":"'
        + v.INFECTION_LABO
        + '","code":"',
        fmt.take(t["infection"], test),
        '","display":"',
        fmt.take(t["infection_display"], test),
        '"}]},"subject":{"reference":"urn:uuid:',
        u["pat"],
        '"},"effectiveDateTime":"',
        when,
        '","valueCodeableConcept":{"coding":[{"system":'
        '"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"',
        fmt.take(t["result"], positive),
        '","display":"',
        fmt.take(t["result_display"], positive),
        '"}]}}',
    )
    has_allergy = rng.random(n) < 0.5
    has_ci = rng.random(n) < 0.2
    entries += [
        fmt.when(has_allergy, fmt.join(*_entry(u["a1"], allergy))),
        fmt.when(has_ci, fmt.join(*_entry(u["a2"], contraindication))),
        fmt.join(*_entry(u["inf"], infection)),
    ]
    # Optional entries leave an empty string: join with commas only between present ones.
    count = n * 9 + int(has_allergy.sum()) + int(has_ci.sum())
    return _bundle(r["bundle"], when, [_drop_empty(entries)]), count


def _drop_empty(entries: list[pa.Array]) -> pa.Array:
    """Comma-join entry arrays element-wise, skipping empty strings."""
    parts = [pc.if_else(pc.equal(e, ""), pa.scalar(None, pa.string()), e) for e in entries]
    return pc.binary_join_element_wise(*parts, ",", null_handling="skip")


def _discharges(
    rng: np.random.Generator, people: Patients, patients: pa.Array, mask: np.ndarray
) -> tuple[pa.Array, int]:
    t = _tables()
    rows = np.flatnonzero(mask)
    n = len(rows)
    pref = people.prefecture[rows]
    start = WINDOW_START_DAY + rng.integers(0, WINDOW_DAYS - 30, n)
    stay = 3 + rng.poisson(9, n)
    end = np.minimum(start + stay, REFERENCE_DAY - 1)
    when = fmt.timestamps(end * 86400 + 10 * 3600)
    u = {k: fmt.hex_ids(rng, n) for k in ("comp", "pat", "enc", "org", "cond", "m1", "m2")}
    r = {k: fmt.hex_ids(rng, n) for k in ("comp", "enc", "org", "cond", "m1", "m2", "bundle")}
    comp = _composition(
        r["comp"],
        "18842-5",
        "退院時サマリー",
        u["pat"],
        u["enc"],
        when,
        [u["org"]],
        v.DISCHARGE_SECTIONS,
        v.SECTIONS,
    )
    disposition = rng.choice(len(v.DISCHARGE_DISPOSITIONS), size=n, p=[0.85, 0.12, 0.03])
    encounter = fmt.join(
        '{"resourceType":"Encounter","id":"',
        r["enc"],
        '","status":"finished","class":{"system":'
        '"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP","display":"入院"},'
        '"period":{"start":"',
        fmt.dates(start),
        '","end":"',
        fmt.dates(end),
        '"},"hospitalization":'
        '{"dischargeDisposition":{"coding":[{"system":"http://jpfhir.jp/fhir/core/CodeSystem/'
        'JP_DischargeDisposition_CS","code":"',
        fmt.take(t["disposition"], disposition),
        '","display":"',
        fmt.take(t["disposition_display"], disposition),
        '"}]}},"serviceProvider":{"reference":"urn:uuid:',
        u["org"],
        '"}}',
    )
    weights = np.asarray([d[3] for d in v.DISEASES], dtype=float)
    d = rng.choice(len(v.DISEASES), size=n, p=weights / weights.sum())
    condition = fmt.join(
        '{"resourceType":"Condition","id":"',
        r["cond"],
        '","extension":[{"url":'
        '"http://hl7.org/fhir/StructureDefinition/condition-diseaseDiagnosisType","valueCodeableConcept":'
        '{"coding":[{"system":"'
        + v.DIAGNOSIS_TYPE
        + '","code":"principal","display":"主病名"}]}}],'
        '"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical",'
        '"code":"resolved"}]},"code":{"coding":[{"system":"' + v.MEDIS_DISEASE + '","code":"',
        fmt.take(t["medis"], d),
        '","display":"',
        fmt.take(t["disease"], d),
        '"},{"system":"' + v.ICD10_JP + '","code":"',
        fmt.take(t["icd"], d),
        '"}]},"subject":{"reference":"urn:uuid:',
        u["pat"],
        '"},"encounter":{"reference":"urn:uuid:',
        u["enc"],
        '"},"onsetDateTime":"',
        fmt.dates(start),
        '"}',
    )
    entries = [
        fmt.join(*_entry(u["comp"], comp)),
        fmt.join(*_entry(u["pat"], fmt.take(patients, rows))),
        fmt.join(*_entry(u["enc"], encounter)),
        fmt.join(
            *_entry(
                u["org"], _organization(u["org"], r["org"], pref, fmt.take(t["hospital"], pref))
            )
        ),
        fmt.join(*_entry(u["cond"], condition)),
    ]
    for key in ("m1", "m2"):
        drug = rng.integers(0, len(v.DRUGS), n)
        usage = rng.integers(0, len(v.USAGES), n)
        per_day = np.asarray([x[2] for x in v.USAGES])[usage]
        days = rng.choice([7, 14, 28, 30], size=n)
        med = fmt.join(
            '{"resourceType":"MedicationRequest","id":"',
            r[key],
            '","status":"active","intent":"order",'
            '"category":[{"coding":[{"system":"http://jpfhir.jp/fhir/core/CodeSystem/'
            'JP_MedicationCategoryMERIT9_CS","code":"OHP","display":"外来処方"}]}],'
            '"medicationCodeableConcept":{"coding":[{"system":"' + v.YJ + '","code":"',
            fmt.take(t["yj"], drug),
            '","display":"',
            fmt.take(t["drug"], drug),
            '"},{"system":"' + v.HOT9 + '","code":"',
            fmt.take(t["hot"], drug),
            '"}]},"subject":{"reference":"urn:uuid:',
            u["pat"],
            '"},"encounter":{"reference":"urn:uuid:',
            u["enc"],
            '"},"authoredOn":"',
            when,
            '","dosageInstruction":[{"timing":{"repeat":{"boundsDuration":{"value":',
            fmt.num(days),
            ',"unit":"日","system":"http://unitsofmeasure.org","code":"d"},"frequency":',
            fmt.num(per_day),
            ',"period":1,"periodUnit":"d"},"code":{"coding":[{"system":"' + v.USAGE + '","code":"',
            fmt.take(t["usage"], usage),
            '","display":"',
            fmt.take(t["usage_display"], usage),
            '"}]}},"route":{"coding":[{"system":"' + v.ROUTE + '","code":"PO","display":"口"}]},'
            '"doseAndRate":[{"doseQuantity":{"value":1,"unit":"',
            fmt.take(t["unit"], drug),
            '","system":"' + v.MERIT9_UNIT + '","code":"',
            fmt.take(t["unit_code"], drug),
            '"}}]}],"dispenseRequest":{"expectedSupplyDuration":{"value":',
            fmt.num(days),
            ',"unit":"日","system":"http://unitsofmeasure.org","code":"d"}}}',
        )
        entries.append(fmt.join(*_entry(u[key], med)))
    for code, display, unit, low, high, mean, spread in v.LABS:
        value = np.round(mean + spread * rng.normal(0, 1, n), 2)
        oid = fmt.hex_ids(rng, n)
        flag = fmt.take(
            fmt.vocab(["N", "L", "H"]), np.where(value < low, 1, np.where(value > high, 2, 0))
        )
        obs = fmt.join(
            '{"resourceType":"Observation","id":"',
            fmt.hex_ids(rng, n),
            '","status":"final",'
            '"category":[{"coding":[{"system":"' + v.OBS_CATEGORY + '","code":"laboratory"}]}],'
            '"code":{"coding":[{"system":"'
            + v.CORE_LABO
            + '","code":"'
            + code
            + '","display":"'
            + display
            + '"},{"system":"'
            + v.JLAC10
            + '","code":"'
            + code
            + '"}]},'
            '"subject":{"reference":"urn:uuid:',
            u["pat"],
            '"},"encounter":{"reference":"urn:uuid:',
            u["enc"],
            '"},"effectiveDateTime":"',
            fmt.timestamps(start * 86400 + 8 * 3600),
            '","valueQuantity":{"value":',
            fmt.num(value),
            ',"unit":"' + unit + '"},"interpretation":'
            '[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",'
            '"code":"',
            flag,
            '"}]}],"referenceRange":[{"low":{"value":'
            + f"{low}"
            + ',"unit":"'
            + unit
            + '"},"high":{"value":'
            + f"{high}"
            + ',"unit":"'
            + unit
            + '"}}]}',
        )
        entries.append(fmt.join(*_entry(oid, obs)))
    return _bundle(r["bundle"], when, entries), n * len(entries)


def render_documents(
    seed: int, index: int, first_patient: int, n: int
) -> tuple[list[pa.Array], int]:
    """Document Bundle lines for patients first_patient .. first_patient + n - 1, and the
    number of resources in them."""
    rng = np.random.default_rng([seed, index, 20])
    people = draw_patients(rng, n)
    seq = np.arange(first_patient, first_patient + n, dtype=np.int64)
    patients, insurance = _patient(rng, people, seq)
    built = [
        _checkups(rng, people, patients, insurance),
        _referrals(rng, people, patients, rng.random(n) < 0.6),
        _discharges(rng, people, patients, rng.random(n) < 0.3),
    ]
    return [lines for lines, _count in built], sum(count for _lines, count in built)

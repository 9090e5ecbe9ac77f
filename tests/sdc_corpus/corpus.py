"""A corpus of outputs for the output gate, written the way different analysts write them.

Everything is generated from seeded microdata (`build(folder)`): claims of 20,000 people
(sex, age, region, prefecture, ICD-10 diagnosis, date, cost), then outputs computed from it
and written in several styles: long and wide layouts; totals as rows, columns or footers;
English and Japanese headers; CSV, TSV, semicolon CSV, JSON (records, columns, nested),
Markdown and text reports; images with data after the end marker or in text chunks; and
person identifiers of many shapes (this TRE's pseudonyms, shortened ones, UUIDs, other TREs'
pseudonyms, long integers, insurer and record numbers).

Each case names the file, the verdict a careful output checker reaches (`pass`, `review`,
`block`), the rule that decides it and why, the profile it is checked under, and, where
ACRO can express it, how ACRO would compute it from the microdata (`acro`). The rules were
written first, from the principle; the cases are what analysts produce, not what the code
looks for.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import struct
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 1717
PERSONS = 20_000
REGIONS = ["Hokkaido", "Tohoku", "Kanto", "Chubu", "Kinki", "Chugoku", "Shikoku", "Kyushu"]
REGIONS_JA = ["北海道", "東北", "関東", "中部", "近畿", "中国", "四国", "九州"]
REGION_WEIGHTS = [0.05, 0.08, 0.35, 0.17, 0.18, 0.06, 0.03, 0.08]
CODES = ["I10", "E11", "J45", "M54", "K21", "F32", "N18", "C50", "I48", "G47", "L20", "E78"]
BANDS = ["0-39", "40-64", "65-74", "75+"]
# A 2x2 grey baseline JPEG (made once with a standard encoder), to append to and comment in.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERX"
    "RTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAACAAIBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL"
    "/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJico"
    "KSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKz"
    "tLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/ACv/2Q=="
)


@dataclass
class Case:
    file: str
    expected: str  # pass | review | block
    rule: str
    why: str
    profile: str = "acro"
    person_ids: bool = False  # checked with the extract's person identifiers
    acro: dict[str, Any] | None = None  # how ACRO 1.0.2 computes the same output
    # checked with the microdata it was computed from: {"file", "by", "value", "stat"}
    microdata: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)


# --- microdata -----------------------------------------------------------------------------


def microdata(seed: int = SEED) -> tuple[pa.Table, pa.Table]:
    """(persons, claims): seeded, with a person pseudonym as this TRE's (64 hex)."""
    rng = np.random.default_rng(seed)
    ids = [hashlib.sha256(f"{seed}:{i}".encode()).hexdigest() for i in range(PERSONS)]
    age = np.clip(rng.normal(55, 18, PERSONS), 0, 104).astype(int)
    region = rng.choice(len(REGIONS), PERSONS, p=REGION_WEIGHTS)
    persons = pa.table(
        {
            "person_id": ids,
            "sex": rng.choice(np.array(["F", "M"]), PERSONS),
            "age": age,
            "age_band": np.array(BANDS)[np.digitize(age, [40, 65, 75])],
            "region": np.array(REGIONS)[region],
            "prefecture": np.array([f"JP-{i:02d}" for i in range(1, 48)])[
                rng.integers(0, 47, PERSONS)
            ],
        }
    )
    per_person = rng.poisson(3, PERSONS) + 1
    owner = np.repeat(np.arange(PERSONS), per_person)
    n = len(owner)
    code_p = 1 / np.arange(1, len(CODES) + 1) ** 0.6
    days = rng.integers(0, 365, n)
    icd10 = np.array(CODES)[rng.choice(len(CODES), n, p=code_p / code_p.sum())]
    cost = np.round(rng.lognormal(8.5, 0.8, n))
    # One breast-cancer patient in Shikoku with a very expensive treatment: that cell's
    # total is one person's, whatever its count.
    region_of_claim = np.array(REGIONS)[region][owner]
    outlier = np.flatnonzero((icd10 == "C50") & (region_of_claim == "Shikoku"))[0]
    cost[outlier] = 60_000_000
    claims = pa.table(
        {
            "person_id": pa.array(ids).take(pa.array(owner)),
            "sex": persons.column("sex").take(pa.array(owner)),
            "age": persons.column("age").take(pa.array(owner)),
            "age_band": persons.column("age_band").take(pa.array(owner)),
            "region": persons.column("region").take(pa.array(owner)),
            "icd10": icd10,
            "service_date": (np.datetime64("2023-01-01") + days).astype(str),
            "cost": cost,
        }
    )
    return persons, claims


# --- writers: the analysts' styles ---------------------------------------------------------


Rows = Sequence[Sequence[Any]]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value != int(value) else str(int(value))
    return str(value)


def delimited(header: Sequence[str], rows: Rows, sep: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def markdown(header: Sequence[str], rows: Rows, title: str = "", prose: str = "") -> bytes:
    lines = [f"# {title}", ""] if title else []
    if prose:
        lines += [prose, ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def aligned(header: Sequence[str], rows: Rows, title: str, footer: str = "") -> bytes:
    cells = [list(header)] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) + 3 for j in range(len(header))]
    lines = [title, ""] + [
        "".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    ]
    if footer:
        lines += ["", footer]
    return ("\n".join(lines) + "\n").encode("utf-8")


def records(header: Sequence[str], rows: Rows) -> list[dict[str, Any]]:
    return [dict(zip(header, row, strict=True)) for row in rows]


def json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, default=_plain).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(type(value).__name__)


def png(text_chunks: Sequence[tuple[str, str]] = (), trailing: bytes = b"") -> bytes:
    """A small valid PNG (a grey gradient), with optional tEXt chunks and trailing bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    width = height = 16
    raw = b"".join(b"\x00" + bytes(range(0, 256, 16)) for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    )
    out += chunk(b"tEXt", b"Software\x00matplotlib version3.9, https://matplotlib.org/")
    for key, value in text_chunks:
        out += chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1"))
    out += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return out + trailing


def jpeg(comment: str = "", trailing: bytes = b"") -> bytes:
    body = JPEG
    if comment:
        data = comment.encode("utf-8")
        body = body[:2] + b"\xff\xfe" + struct.pack(">H", len(data) + 2) + data + body[2:]
    return body + trailing


# --- aggregation helpers -------------------------------------------------------------------


class Data:
    """The microdata with the queries the cases need (DuckDB on Arrow)."""

    def __init__(self, persons: pa.Table, claims: pa.Table) -> None:
        self.persons, self.claims = persons, claims
        self.con = duckdb.connect()
        self.con.register("persons", persons)
        self.con.register("claims", claims)
        self.ids = persons.column("person_id").to_pylist()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()


def _wide(
    rows: Sequence[tuple[Any, Any, Any]], row_levels: Sequence[Any], col_levels: Sequence[Any]
) -> list[list[Any]]:
    index = {(r, c): v for r, c, v in rows}
    return [[r, *[index.get((r, c), 0) for c in col_levels]] for r in row_levels]


# --- the cases -----------------------------------------------------------------------------


def build(folder: Path, seed: int = SEED) -> list[Case]:
    """Write the microdata (persons.parquet, claims.parquet), every case's file and
    manifest.json into `folder`; return the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    persons, claims = microdata(seed)
    pq.write_table(persons, folder / "persons.parquet")
    pq.write_table(claims, folder / "claims.parquet")
    data = Data(persons, claims)
    cases: list[Case] = []

    def add(name: str, content: bytes, case: Case) -> None:
        (folder / name).write_bytes(content)
        case.file = name
        cases.append(case)

    for maker in (
        _safe_tables,
        _safe_profiles,
        _needs_review,
        _identifiers,
        _row_level,
        _small_counts,
        _derived,
        _differencing,
        _regressions,
        _hidden,
        _profiles,
        _more_styles,
        _code_labels,
        _short_pseudonyms,
        _class_long,
        _with_microdata,
    ):
        maker(data, add)
    _write_subsets(data, folder)
    (folder / "manifest.json").write_text(
        json.dumps([asdict(c) for c in cases], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return cases


Add = Callable[[str, bytes, Case], None]


def _c(expected: str, rule: str, why: str, **kw: Any) -> Case:
    return Case("", expected, rule, why, **kw)


def _safe_tables(d: Data, add: Add) -> None:
    """Aggregates over large groups, in every style: nothing in them is disclosive."""
    by_sex_band = d.rows("SELECT sex, age_band, count(*) FROM persons GROUP BY ALL ORDER BY ALL")
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    by_region_sex = d.rows("SELECT region, sex, count(*) FROM persons GROUP BY ALL ORDER BY ALL")
    by_code = d.rows("SELECT icd10, count(DISTINCT person_id) FROM claims GROUP BY 1 ORDER BY 1")
    cost = d.rows(
        "SELECT region, sex, count(DISTINCT person_id), round(avg(cost), 1) FROM claims "
        "GROUP BY ALL ORDER BY ALL"
    )
    age_by_code = d.rows(
        "SELECT icd10, count(DISTINCT person_id), round(avg(age), 1), round(stddev(age), 1) "
        "FROM claims GROUP BY 1 ORDER BY 1"
    )
    monthly = d.rows(
        "SELECT substr(service_date, 1, 7), count(DISTINCT person_id) FROM claims "
        "GROUP BY 1 ORDER BY 1"
    )
    ct = {"kind": "crosstab"}
    freq_sb = dict(ct, index=["sex"], columns="age_band")
    freq_rs = dict(ct, index=["region"], columns="sex")
    safe = "every cell counts at least 10 people, no zeros, no suppression to recover"
    # One table, many analysts: long or wide, English or Japanese, CSV/TSV/JSON/Markdown.
    wide_sb = _wide(by_sex_band, ["F", "M"], BANDS)
    add(
        "safe_sex_band_long.csv",
        delimited(["sex", "age_band", "n"], by_sex_band),
        _c("pass", "threshold", safe, acro=freq_sb),
    )
    add(
        "safe_sex_band_wide.csv",
        delimited(["sex", *BANDS], wide_sb),
        _c("pass", "threshold", safe + " (wide crosstab)", acro=freq_sb),
    )
    add(
        "safe_sex_band_wide.tsv",
        delimited(["性別", *BANDS], wide_sb, "\t"),
        _c("pass", "threshold", safe + " (Japanese header, TSV)", acro=freq_sb),
    )
    add(
        "safe_sex_band_semicolon.csv",
        delimited(["Sex", "Age group", "Patients"], by_sex_band, ";"),
        _c("pass", "threshold", safe + " (semicolon CSV)", acro=freq_sb),
    )
    add(
        "safe_sex_band_records.json",
        json_bytes(records(["sex", "age_band", "n"], by_sex_band)),
        _c("pass", "threshold", safe + " (JSON records)", acro=freq_sb),
    )
    add(
        "safe_sex_band_columns.json",
        json_bytes(
            {
                "sex": [r[0] for r in by_sex_band],
                "age_band": [r[1] for r in by_sex_band],
                "count": [r[2] for r in by_sex_band],
            }
        ),
        _c("pass", "threshold", safe + " (JSON columns)", acro=freq_sb),
    )
    add(
        "safe_sex_band_nested.json",
        json_bytes(
            {
                "title": "Persons by sex and age",
                "table": records(["sex", "age_band", "persons"], by_sex_band),
            }
        ),
        _c("pass", "threshold", safe + " (JSON table nested under a title)", acro=freq_sb),
    )
    add(
        "safe_sex_band.md",
        markdown(["Sex", *BANDS], wide_sb),
        _c("pass", "threshold", safe + " (a Markdown table alone)", acro=freq_sb),
    )
    # Totals as a row, as a column, both; all shown cells safe and consistent.
    total_row = [*by_region, ("Total", sum(r[1] for r in by_region))]
    add(
        "safe_region_total_row.csv",
        delimited(["region", "n"], total_row),
        _c(
            "pass",
            "differencing-total",
            "a total row over cells that are all shown",
            acro=dict(ct, index=["region"], columns=None),
        ),
    )
    add(
        "safe_region_total_row_ja.csv",
        delimited(
            ["地域", "人数"],
            [(REGIONS_JA[REGIONS.index(r)], n) for r, n in by_region]
            + [("合計", sum(n for _r, n in by_region))],
        ),
        _c("pass", "differencing-total", "Japanese labels and a 合計 row, nothing suppressed"),
    )
    wide_rs = _wide(by_region_sex, REGIONS, ["F", "M"])
    add(
        "safe_region_sex_totals.csv",
        delimited(
            ["region", "F", "M", "Total"],
            [[*r, r[1] + r[2]] for r in wide_rs]
            + [
                [
                    "Total",
                    *(sum(r[j] for r in wide_rs) for j in (1, 2)),
                    sum(r[1] + r[2] for r in wide_rs),
                ]
            ],
        ),
        _c("pass", "differencing-total", "row and column totals over shown cells", acro=freq_rs),
    )
    add(
        "safe_region_sex_long.tsv",
        delimited(["region", "sex", "patients"], by_region_sex, "\t"),
        _c("pass", "threshold", safe, acro=freq_rs),
    )
    add(
        "safe_region_sex_records.json",
        json_bytes({"rows": records(["region", "sex", "n"], by_region_sex)}),
        _c("pass", "threshold", safe + " (JSON under rows)", acro=freq_rs),
    )
    add(
        "safe_region_first_total.csv",
        delimited(["region", "n"], [("All", sum(n for _r, n in by_region)), *by_region]),
        _c("pass", "differencing-total", "the total as the first row ('All')"),
    )
    # One-way by code, persons counted (not claims).
    add(
        "safe_code_persons.csv",
        delimited(["icd10", "n_patients"], by_code),
        _c(
            "pass",
            "threshold",
            "persons by diagnosis code: codes are categories, not ids",
            acro=dict(ct, index=["icd10"], columns=None),
        ),
    )
    add(
        "safe_code_persons_ja.csv",
        delimited(["傷病名コード", "患者数"], by_code),
        _c("pass", "threshold", "the same with Japanese headers"),
    )
    add(
        "safe_code_persons.json",
        json_bytes({c: n for c, n in by_code} | {"unit": "persons"}),
        _c("pass", "threshold", "codes as JSON keys with counts"),
    )
    add(
        "safe_code_persons.md",
        markdown(["Diagnosis", "Patients"], by_code),
        _c("pass", "threshold", "a Markdown table alone"),
    )
    # Means with their counts.
    mean_acro = {
        "kind": "crosstab",
        "index": ["region"],
        "columns": "sex",
        "values": "cost",
        "aggfunc": "mean",
    }
    add(
        "safe_cost_long.csv",
        delimited(["region", "sex", "n", "mean_cost"], cost),
        _c("pass", "threshold", "means beside counts of at least 10 people", acro=mean_acro),
    )
    add(
        "safe_cost_long_ja.csv",
        delimited(["地域", "性別", "人数", "平均費用"], cost),
        _c("pass", "threshold", "the same with Japanese headers", acro=mean_acro),
    )
    add(
        "safe_cost_records.json",
        json_bytes(records(["region", "sex", "n", "mean_cost"], cost)),
        _c("pass", "threshold", "the same as JSON records", acro=mean_acro),
    )
    add(
        "safe_age_by_code.csv",
        delimited(["icd10", "n", "mean_age", "sd_age"], age_by_code),
        _c(
            "pass",
            "threshold",
            "mean and SD with counts",
            acro={
                "kind": "crosstab",
                "index": ["icd10"],
                "columns": None,
                "values": "age",
                "aggfunc": "mean",
            },
        ),
    )
    add(
        "safe_age_by_code.tsv",
        delimited(["コード", "患者数", "平均年齢", "標準偏差"], age_by_code, "\t"),
        _c("pass", "threshold", "the same, Japanese, TSV"),
    )
    add(
        "safe_monthly.csv",
        delimited(["month", "patients"], monthly),
        _c("pass", "threshold", "a monthly series of large counts"),
    )
    add(
        "safe_monthly_wide.csv",
        delimited(
            ["measure", *[m for m, _n in monthly]], [["patients", *[n for _m, n in monthly]]]
        ),
        _c("pass", "threshold", "a monthly series laid out wide (months as headers)"),
    )
    yearly = [["outpatient_visits", 41230, 43887, 45120], ["inpatient_stays", 5120, 5388, 5530]]
    add(
        "safe_yearly_wide.csv",
        delimited(["measure", "visits_2021", "visits_2022", "visits_2023"], yearly),
        _c("pass", "threshold", "headers that mix words and years are labels, not ids"),
    )
    # Percentages beside their denominators, numerators large.
    pct = d.rows(
        "SELECT region, count(*) AS n, round(100.0 * avg((age >= 65)::INT), 1) FROM persons "
        "GROUP BY 1 ORDER BY 1"
    )
    add(
        "safe_pct_65plus.csv",
        delimited(["region", "N", "pct_65_and_over"], pct),
        _c("pass", "derived-count", "n x pct gives numerators well above the threshold"),
    )
    add(
        "safe_pct_65plus_ja.csv",
        delimited(["地域", "対象者数", "65歳以上の割合(%)"], pct),
        _c("pass", "derived-count", "the same in Japanese"),
    )
    shares = [(r, n, round(100 * n / sum(x[1] for x in by_region), 1)) for r, n in by_region]
    add(
        "safe_region_share.csv",
        delimited(["region", "n", "percent"], shares),
        _c("pass", "derived-count", "percentages of the column total beside their counts"),
    )
    nparen = [(r, f"{n} ({p}%)") for r, n, p in shares]
    add(
        "safe_region_n_pct.csv",
        delimited(["Region", "n (%)"], nparen),
        _c("pass", "threshold", "clinical 'n (%)' cells, all large"),
    )
    # Regressions with many observations.
    coef = [
        ["(Intercept)", 7.91, 0.02, 0.0],
        ["age", 0.011, 0.0004, 0.0],
        ["sexM", -0.03, 0.01, 0.004],
        ["regionKanto", 0.05, 0.012, 0.0],
    ]
    n_claims = d.claims.num_rows
    add(
        "safe_ols.csv",
        delimited(["term", "estimate", "std.error", "p.value"], [*coef, ["N", n_claims, "", ""]]),
        _c(
            "pass",
            "regression-df",
            "tens of thousands of observations for four terms",
            acro={"kind": "ols", "formula": "log_cost ~ age + C(sex) + C(region == 'Kanto')"},
        ),
    )
    add(
        "safe_ols_ja.csv",
        delimited(["変数", "係数", "標準誤差", "p値"], [*coef, ["観測数", n_claims, "", ""]]),
        _c("pass", "regression-df", "the same in Japanese"),
    )
    add(
        "safe_ols.json",
        json_bytes(
            {
                "model": "OLS",
                "nobs": n_claims,
                "df_resid": n_claims - 4,
                "params": records(["term", "coef", "se", "p"], coef),
            }
        ),
        _c("pass", "regression-df", "a model summary as JSON with nobs and df"),
    )
    add(
        "safe_logit_df.csv",
        delimited(
            ["variable", "OR", "95% CI", "p"],
            [
                ["age", 1.02, "1.01-1.03", 0.001],
                ["sex (M)", 1.10, "0.98-1.22", 0.11],
                ["df_resid", 19996, "", ""],
            ],
        ),
        _c("pass", "regression-df", "odds ratios with the residual df as a row"),
    )
    for i, (region, ja) in enumerate(zip(REGIONS[:6], REGIONS_JA[:6], strict=True)):
        rows = d.rows(
            f"SELECT sex, age_band, count(*) FROM persons WHERE region = '{region}' "
            "GROUP BY ALL ORDER BY ALL"
        )
        if region == "Kanto":
            add(
                f"safe_{i}_{region}.csv",
                delimited(["sex", "age", "n"], rows),
                _c("pass", "threshold", "a regional table with large cells"),
            )
        else:
            rows = d.rows(
                f"SELECT sex, count(*) FROM persons WHERE region = '{region}' GROUP BY 1 ORDER BY 1"
            )
            add(
                f"safe_{i}_{region}_sex.csv",
                delimited(["sex", f"n_{ja}"], rows),
                _c("pass", "threshold", "persons by sex within a region"),
            )
    quarter = d.rows(
        "SELECT 'Q' || ((month(CAST(service_date AS DATE)) + 2) // 3), sex, "
        "count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    add(
        "safe_quarter_sex.csv",
        delimited(["quarter", "sex", "persons"], quarter),
        _c("pass", "threshold", "quarters by sex"),
    )
    add(
        "safe_quarter_sex.json",
        json_bytes(records(["quarter", "sex", "persons"], quarter)),
        _c("pass", "threshold", "quarters by sex, JSON"),
    )
    add(
        "safe_quarter_sex.md",
        markdown(["Quarter", "Sex", "Persons"], quarter),
        _c("pass", "threshold", "quarters by sex, Markdown table"),
    )
    code_sex = d.rows(
        "SELECT icd10, sex, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    add(
        "safe_code_sex_long.csv",
        delimited(["icd10", "sex", "n"], code_sex),
        _c(
            "pass",
            "threshold",
            "diagnosis by sex, long",
            acro=dict(ct, index=["icd10"], columns="sex"),
        ),
    )
    add(
        "safe_code_sex_wide.csv",
        delimited(["icd10", "F", "M"], _wide(code_sex, CODES, ["F", "M"])),
        _c(
            "pass",
            "threshold",
            "diagnosis by sex, wide",
            acro=dict(ct, index=["icd10"], columns="sex"),
        ),
    )
    add(
        "safe_code_sex_wide_ja.tsv",
        delimited(["傷病名", "女性", "男性"], _wide(code_sex, CODES, ["F", "M"]), "\t"),
        _c("pass", "threshold", "diagnosis by sex, wide, Japanese, TSV"),
    )
    band_code = d.rows(
        "SELECT age_band, icd10, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    add(
        "safe_band_code_wide.csv",
        delimited(["age_band", *CODES], _wide(band_code, BANDS, CODES)),
        _c(
            "pass",
            "threshold",
            "age band by diagnosis, wide",
            acro=dict(ct, index=["age_band"], columns="icd10"),
        ),
    )
    add(
        "safe_band_code_long.json",
        json_bytes(records(["age_band", "icd10", "n"], band_code)),
        _c("pass", "threshold", "age band by diagnosis, JSON records"),
    )
    sums = d.rows(
        "SELECT region, count(DISTINCT person_id), round(sum(cost)), round(median(cost)) "
        "FROM claims GROUP BY 1 ORDER BY 1"
    )
    add(
        "safe_cost_sum_region.csv",
        delimited(["region", "patients", "total_cost", "median_cost"], sums),
        _c("pass", "threshold", "sums and medians with large counts"),
    )
    add(
        "safe_cost_sum_region.md",
        markdown(["Region", "Patients", "Total cost", "Median"], sums),
        _c("pass", "threshold", "the same, Markdown"),
    )


def _safe_profiles(d: Data, add: Add) -> None:
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    rounded = [(r, int(5 * round(n / 5))) for r, n in by_region]
    add(
        "safe_os_rounded.csv",
        delimited(["region", "n"], rounded),
        _c(
            "pass",
            "rounding-required",
            "OpenSAFELY: counts rounded to 5, none <= 7",
            profile="opensafely",
        ),
    )
    mid6 = [(r, 6 * (n // 6) + 3) for r, n in by_region]
    add(
        "safe_os_midpoint6.csv",
        delimited(["region", "n"], mid6),
        _c(
            "pass",
            "rounding-required",
            "OpenSAFELY: midpoint-6 rounded counts",
            profile="opensafely",
        ),
    )
    code_sex = d.rows(
        "SELECT icd10, sex, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    with_zero = [*code_sex, ("O80", "M", 0)]
    add(
        "safe_ndb_zero.csv",
        delimited(["傷病名コード", "性別", "患者数"], with_zero),
        _c("pass", "zeros", "NDB: a zero may be published (no men give birth)", profile="ndb"),
    )
    muni = [["札幌市", 1_960_000, 812], ["夕張市", 6_800, 41], ["旭川市", 320_000, 150]]
    add(
        "safe_ndb_municipality.csv",
        delimited(["市区町村", "人口", "患者数"], muni),
        _c(
            "pass",
            "municipality-minimum",
            "NDB: each municipality's count meets its population band",
            profile="ndb",
        ),
    )
    add(
        "safe_ndb_facilities.csv",
        delimited(
            ["二次医療圏", "医療機関数", "患者数"], [["札幌", 120, 5120], ["南渡島", 3, 410]]
        ),
        _c("pass", "facility-minimum", "NDB: at least 3 facilities per cell", profile="ndb"),
    )
    add(
        "safe_ndb_medicine.csv",
        delimited(
            ["薬効分類", "剤形", "処方数量"],
            [["降圧剤", "内服", 15400], ["インスリン", "注射", 820]],
        ),
        _c(
            "pass",
            "medicine-minimum",
            "NDB: quantities above 1,000 oral / 400 injection",
            profile="ndb",
        ),
    )


def _needs_review(d: Data, add: Add) -> None:
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    add("review_plot.png", png(), _c("review", "manual-review", "a chart: a person must look"))
    add("review_plot.jpg", jpeg(), _c("review", "manual-review", "a JPEG chart"))
    add(
        "review_methods.txt",
        (
            b"Methods\n\nWe used claims from 2023. Patients were grouped by region and sex; counts "
            b"below 10 were suppressed before release.\n"
        ),
        _c("review", "manual-review", "a methods note: prose no rule can read"),
    )
    add(
        "review_report.md",
        markdown(["Region", "Patients"], by_region, "Results", "Table 1 shows patients by region."),
        _c("review", "manual-review", "a report: the table passes, the prose must be read"),
    )
    rounded = [(r, int(10 * round(n / 10))) for r, n in by_region]
    add(
        "review_rounded_acro.csv",
        delimited(["region", "n"], rounded),
        _c(
            "review",
            "rounded-counts",
            "all counts multiples of 10: the true counts cannot be checked without microdata",
        ),
    )
    means = d.rows("SELECT region, round(avg(cost), 1) FROM claims GROUP BY 1 ORDER BY 1")
    add(
        "review_means_no_counts.csv",
        delimited(["region", "mean_cost"], means),
        _c("review", "contributors-unknown", "means without their counts"),
    )
    maxima = d.rows(
        "SELECT region, count(DISTINCT person_id), max(cost) FROM claims GROUP BY 1 ORDER BY 1"
    )
    add(
        "review_max_cost.csv",
        delimited(["region", "n", "max_cost"], maxima),
        _c("review", "extremes", "a maximum is one person's value"),
    )
    coef = [["(Intercept)", 1.2, 0.3], ["age", 0.01, 0.002]]
    add(
        "review_coef_no_n.csv",
        delimited(["term", "coef", "se"], coef),
        _c("review", "regression-df", "coefficients without n or df"),
    )
    rare = d.rows(
        "SELECT sex, count(*) FILTER (WHERE age >= 95), count(*) FILTER (WHERE age < 95) "
        "FROM persons GROUP BY 1 ORDER BY 1"
    )
    add(
        "review_class_share.csv",
        delimited(["sex", "aged_95_plus", "under_95"], rare),
        _c(
            "review",
            "class-disclosure",
            "nearly everyone in each row is in one column: a checker judges the statement",
        ),
    )


def _identifiers(d: Data, add: Add) -> None:
    rng = np.random.default_rng(SEED + 1)
    take = rng.choice(PERSONS, 40, replace=False)
    ids = [d.ids[i] for i in take]
    ages = [int(a) for a in np.asarray(d.persons.column("age"))[take]]
    costs = [int(c) for c in rng.lognormal(9, 1, 40)]
    rows = list(zip(ids, ages, costs, strict=True))
    add(
        "id_extract_renamed.csv",
        delimited(["code", "age", "cost"], rows),
        _c(
            "block",
            "person-identifier",
            "the extract's pseudonyms under another name",
            person_ids=True,
        ),
    )
    add(
        "id_extract_standalone.csv",
        delimited(["code", "age", "cost"], rows),
        _c("block", "pseudonym-like", "64-hex pseudonyms, recognised without the extract"),
    )
    short = [(i[:12], a, c) for i, a, c in rows]
    add(
        "id_shortened_prefix.csv",
        delimited(["ref", "age", "cost"], short),
        _c("block", "person-identifier", "pseudonyms cut to 12 characters", person_ids=True),
    )
    suffix = [(i[-10:], 20 + k) for k, i in enumerate(ids)]
    add(
        "id_shortened_suffix.md",
        markdown(["key", "n"], suffix),
        _c(
            "block",
            "person-identifier",
            "10-character suffixes in a Markdown table",
            person_ids=True,
        ),
    )
    uuids = [
        (str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | k, version=4)), a, c)
        for k, (a, c) in enumerate(zip(ages, costs, strict=True))
    ]
    add(
        "id_uuid.csv",
        delimited(["patient_uuid", "age", "cost"], uuids),
        _c("block", "pseudonym-like", "UUIDs per row"),
    )
    add(
        "id_uuid_unnamed.tsv",
        delimited(["x", "y", "z"], uuids, "\t"),
        _c("block", "pseudonym-like", "UUIDs under meaningless headers"),
    )
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    b62 = ["".join(rng.choice(alphabet, 16)) for _ in range(40)]
    add(
        "id_other_tre_b62.json",
        json_bytes(records(["subject", "age", "cost"], list(zip(b62, ages, costs, strict=True)))),
        _c("block", "pseudonym-like", "another TRE's 16-character pseudonyms, JSON"),
    )
    b62s = ["".join(rng.choice(alphabet, 8)) for _ in range(40)]
    add(
        "id_other_tre_short.csv",
        delimited(
            ["pseudonym", "visits"],
            [(t, int(v)) for t, v in zip(b62s, rng.integers(10, 40, 40), strict=True)],
        ),
        _c("block", "pseudonym-like", "8-character pseudonyms named as such"),
    )
    longint = [str(int(x)) for x in rng.integers(10**9, 10**10, 40)]
    add(
        "id_long_integer.csv",
        delimited(
            ["member", "age", "sex"],
            [(i, a, s) for i, a, s in zip(longint, ages, ["F", "M"] * 20, strict=True)],
        ),
        _c("block", "pseudonym-like", "10-digit member numbers"),
    )
    add(
        "id_long_integer_unnamed.csv",
        delimited(["col1", "col2"], list(zip(longint, costs, strict=True))),
        _c("block", "pseudonym-like", "10-digit numbers, one per row, unnamed"),
    )
    insurer = [f"0{int(x):07d}" for x in rng.integers(1_000_000, 9_999_999, 40)]
    add(
        "id_insurer_ja.csv",
        delimited(
            ["被保険者番号", "診療日", "点数"],
            [
                (i, f"2023-0{1 + k % 9}-1{k % 9}", c)
                for k, (i, c) in enumerate(zip(insurer, costs, strict=True))
            ],
        ),
        _c("block", "pseudonym-like", "insurer numbers with dates and points"),
    )
    mrn = [f"MRN{int(x):07d}" for x in rng.integers(0, 10**7, 40)]
    add(
        "id_mrn.csv",
        delimited(
            ["mrn", "los_days"],
            [(m, int(v)) for m, v in zip(mrn, rng.integers(1, 30, 40), strict=True)],
        ),
        _c("block", "pseudonym-like", "record numbers"),
    )
    pnum = [f"P{k:06d}" for k in rng.choice(999_999, 40, replace=False)]
    add(
        "id_top_patients.csv",
        delimited(
            ["rank", "patient", "total_cost"],
            [(k + 1, p, 1_000_000 - 999 * k) for k, p in enumerate(pnum)],
        ),
        _c("block", "person-list", "a top-40 list of patients by cost"),
    )
    add(
        "id_patient_ja.csv",
        delimited(
            ["患者ID", "年齢", "性別"],
            [(p, a, s) for p, a, s in zip(pnum, ages, ["女", "男"] * 20, strict=True)],
        ),
        _c("block", "pseudonym-like", "patient numbers with a Japanese header"),
    )
    add(
        "id_nested.json",
        json_bytes(
            {
                "analysis": "cost",
                "results": {
                    "rows": records(["pid", "cost"], list(zip(d.ids[:30], costs[:30], strict=True)))
                },
            }
        ),
        _c("block", "pseudonym-like", "pseudonyms nested in a JSON report"),
    )
    note = "Outliers checked by hand: " + ", ".join(str(u[0]) for u in uuids[:6]) + ".\n"
    add(
        "id_in_note.txt",
        note.encode(),
        _c("block", "pseudonym-like", "UUIDs quoted in a free-text note"),
    )
    add(
        "id_extract_in_note.md",
        ("# Notes\n\nThe largest claims came from " + ", ".join(ids[:3]) + ".\n").encode(),
        _c(
            "block",
            "person-identifier",
            "the extract's pseudonyms quoted in prose",
            person_ids=True,
        ),
    )
    add(
        "id_digit_groups.csv",
        delimited(
            ["card_no", "n_claims"],
            [
                (f"{int(a):04d}-{int(b):04d}-{int(c):04d}", int(v))
                for a, b, c, v in rng.integers(0, 9999, (40, 4))
            ],
        ),
        _c("block", "pseudonym-like", "hyphenated card numbers"),
    )


def _row_level(d: Data, add: Add) -> None:
    sample = d.claims.slice(0, 2000)
    cols = ["service_date", "sex", "age", "region", "icd10", "cost"]
    rows = list(zip(*[sample.column(c).to_pylist() for c in cols], strict=True))
    add(
        "rows_claims.csv",
        delimited(cols, rows),
        _c("block", "unique-combination", "2,000 claim rows without an identifier"),
    )
    add(
        "rows_claims_ja.tsv",
        delimited(["診療日", "性別", "年齢", "地域", "傷病名", "点数"], rows, "\t"),
        _c("block", "unique-combination", "the same with Japanese headers, TSV"),
    )
    add(
        "rows_claims.json",
        json_bytes(records(cols, rows[:500])),
        _c("block", "unique-combination", "500 claim records as JSON"),
    )
    add(
        "rows_claims_report.md",
        markdown(cols, rows[:300], "Appendix", "All claims of the cohort are listed below."),
        _c("block", "unique-combination", "a report embedding 300 record rows"),
    )
    small = rows[:40]
    add(
        "rows_sample.csv",
        delimited(cols, small),
        _c("block", "unique-combination", "a 40-row sample of records"),
    )
    no_date = [(s, a, r, i) for _d, s, a, r, i, _c in rows[:800]]
    add(
        "rows_no_dates.csv",
        delimited(["sex", "age", "region", "icd10"], no_date),
        _c("block", "unique-combination", "records of exact age, sex, region and code"),
    )
    # Persons as columns: one column per person, attributes as rows.
    people = d.persons.slice(0, 12)
    attributes = ["age", "sex", "region", "cost_2022", "cost_2023"]
    values = [
        people.column("age").to_pylist(),
        people.column("sex").to_pylist(),
        people.column("region").to_pylist(),
        [int(x) for x in np.arange(12) * 731 + 500],
        [int(x) for x in np.arange(12) * 577 + 900],
    ]
    add(
        "transposed_patients.csv",
        delimited(
            ["attribute", *[f"Patient {k + 1}" for k in range(12)]],
            [[a, *v] for a, v in zip(attributes, values, strict=True)],
        ),
        _c("block", "transposed-persons", "one column per patient"),
    )
    add(
        "transposed_ja.csv",
        delimited(
            ["項目", *[f"患者{chr(65 + k)}" for k in range(12)]],
            [
                [a, *v]
                for a, v in zip(
                    ["年齢", "性別", "地域", "費用2022", "費用2023"], values, strict=True
                )
            ],
        ),
        _c("block", "transposed-persons", "one column per patient, Japanese"),
    )
    add(
        "transposed_letters.csv",
        delimited(
            ["", *[chr(65 + k) for k in range(12)]],
            [[a, *v] for a, v in zip(attributes, values, strict=True)],
        ),
        _c("block", "transposed-persons", "columns headed A, B, C... mixing sex and age"),
    )
    add(
        "transposed_ids.csv",
        delimited(["measure", *d.ids[:12]], [["cost_2023", *values[4]]]),
        _c("block", "transposed-persons", "pseudonyms as headers, one row"),
    )
    add(
        "transposed_ids_extract.csv",
        delimited(["measure", *[i[:16] for i in d.ids[:5]]], [["visits", 3, 5, 2, 7, 1]]),
        _c(
            "block",
            "transposed-persons",
            "shortened extract pseudonyms as headers",
            person_ids=True,
        ),
    )


def _small_counts(d: Data, add: Add) -> None:
    by_code_pref = d.rows(
        "SELECT region, icd10, count(DISTINCT person_id) FROM claims WHERE age >= 100 "
        "AND region IN ('Shikoku', 'Chugoku') AND icd10 IN ('I10', 'E11', 'J45') "
        "GROUP BY ALL ORDER BY ALL"
    )
    acro = {
        "kind": "crosstab",
        "index": ["region"],
        "columns": "icd10",
        "where": "age >= 100 AND region IN ('Shikoku', 'Chugoku') "
        "AND icd10 IN ('I10', 'E11', 'J45')",
        "unit": "person_id",
    }
    add(
        "small_pref_code.csv",
        delimited(["region", "icd10", "n"], by_code_pref),
        _c(
            "block", "threshold", "centenarians of small regions x codes: cells under 10", acro=acro
        ),
    )
    add(
        "small_pref_code_wide.csv",
        delimited(
            ["region", "I10", "E11", "J45"],
            _wide(by_code_pref, ["Chugoku", "Shikoku"], ["I10", "E11", "J45"]),
        ),
        _c("block", "threshold", "the same, wide", acro=acro),
    )
    add(
        "small_pref_code_ja.json",
        json_bytes(records(["地域", "傷病名", "患者数"], by_code_pref)),
        _c("block", "threshold", "the same, JSON, Japanese keys"),
    )
    add(
        "small_pref_code.md",
        markdown(["Region", "Code", "Patients"], by_code_pref),
        _c("block", "threshold", "the same, Markdown table"),
    )
    old = d.rows("SELECT region, count(*) FROM persons WHERE age >= 100 GROUP BY 1 ORDER BY 1")
    add(
        "small_oldest.csv",
        delimited(["region", "n_aged_100_plus"], old),
        _c("block", "threshold", "centenarians by region: a handful of people in some"),
    )
    add(
        "small_oldest.txt",
        aligned(["Region", "Persons"], old, "Persons aged 100 and over"),
        _c("block", "threshold", "the same as an aligned text report"),
    )
    fewest = min(n for _r, n in old)
    add(
        "small_n_pct.csv",
        delimited(
            ["group", "n (%)"], [["aged 100+", f"{fewest} (0.1%)"], ["others", "19990 (99.9%)"]]
        ),
        _c("block", "threshold", "a small count inside an 'n (%)' cell"),
    )
    zero = [("F", 1520, 0), ("M", 1488, 35)]
    add(
        "zero_cell.csv",
        delimited(["sex", "prostate_cancer", "other"], zero),
        _c("block", "zeros", "ACRO fails zeros: nobody in a group has the trait"),
    )
    cost_small = d.rows(
        "SELECT region, count(DISTINCT person_id), round(avg(cost)) FROM claims "
        "WHERE age >= 100 AND region = 'Shikoku' GROUP BY 1"
    )
    add(
        "small_mean_with_n.csv",
        delimited(["region", "n", "mean_cost"], cost_small),
        _c("block", "threshold", "a mean over a handful of people, n shown"),
    )


def _derived(d: Data, add: Add) -> None:
    groups = [["aged 90+", 212, 2.4], ["aged 80-89", 1010, 6.1], ["aged 70-79", 2400, 7.3]]
    add(
        "derived_pct_denominator.csv",
        delimited(["group", "N", "pct_dementia"], groups),
        _c("block", "derived-count", "212 x 2.4% = 5 people"),
    )
    add(
        "derived_pct_ja.csv",
        delimited(["年齢階級", "対象者数", "割合(%)"], groups),
        _c("block", "derived-count", "the same in Japanese"),
    )
    add(
        "derived_fraction.json",
        json_bytes(
            records(["group", "denominator", "proportion"], [[g, n, p / 100] for g, n, p in groups])
        ),
        _c("block", "derived-count", "proportions (0-1) with denominators, JSON"),
    )
    rate = [["Town A", 3100, 1.9], ["Town B", 45_000, 2.2]]
    add(
        "derived_rate_per_1000.csv",
        delimited(["area", "population", "rate_per_1000"], rate),
        _c("block", "derived-count", "3,100 x 1.9 per 1,000 = 6 cases"),
    )


def _differencing(d: Data, add: Add) -> None:
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    total = sum(n for _r, n in by_region)
    hidden = [(r, "<10" if r == "Shikoku" else n) for r, n in by_region]
    add(
        "diff_suppressed_total_row.csv",
        delimited(["region", "n"], [*hidden, ("Total", total)]),
        _c("block", "differencing-total", "one suppressed cell and the total: subtract"),
    )
    add(
        "diff_suppressed_total_ja.csv",
        delimited(
            ["地域", "人数"],
            [(REGIONS_JA[REGIONS.index(r)], v) for r, v in hidden] + [("合計", total)],
        ),
        _c("block", "differencing-total", "the same with 合計"),
    )
    shown = [(r, n) for r, n in by_region if r != "Shikoku"]
    true_small_total = sum(n for _r, n in shown) + 7
    add(
        "diff_omitted_category.csv",
        delimited(["region", "n"], [*shown, ("Total", true_small_total)]),
        _c("block", "differencing-omitted", "a category left out; the total gives it (7)"),
    )
    add(
        "diff_footer_total.txt",
        aligned(["Region", "Persons"], hidden, "Persons by region", f"Total: {total}"),
        _c("block", "differencing-total", "a text report whose footer total recovers '<10'"),
    )
    wide = [["F", 800, 650, "*", 1460], ["M", 820, 610, 30, 1460]]
    add(
        "diff_total_column.csv",
        delimited(["sex", "0-39", "40-64", "65+", "Total"], wide),
        _c("block", "differencing-total", "a suppressed cell in a row with a Total column"),
    )
    both = [["Kanto", 512, "c", 530], ["Kinki", 300, 296, 596], ["総数", 812, 305, 1126]]
    add(
        "diff_two_way_ja.csv",
        delimited(["地域", "男", "女", "計"], both),
        _c("block", "differencing-total", "the suppressed cell from the column total too"),
    )


def _regressions(d: Data, add: Add) -> None:
    coef = [
        ["(Intercept)", 3.1, 0.8, 0.002],
        ["age", 0.02, 0.01, 0.04],
        ["sexM", 0.4, 0.3, 0.2],
        ["bmi", 0.05, 0.02, 0.03],
        ["smoker", 0.7, 0.4, 0.1],
        ["diabetes", 0.9, 0.5, 0.09],
    ]
    add(
        "reg_n_row.csv",
        delimited(["term", "estimate", "std.error", "p.value"], [*coef, ["N", 14, "", ""]]),
        _c(
            "block",
            "regression-df",
            "14 observations, 6 terms: df 8",
            acro={"kind": "ols", "formula": "cost ~ age", "rows": 12},
        ),
    )
    add(
        "reg_n_footer.txt",
        aligned(["term", "coef", "se", "p"], coef, "Linear model", "n = 13"),
        _c("block", "regression-df", "n in a footer note, coefficients as rows: df 7"),
    )
    add(
        "reg_ja.csv",
        delimited(["変数", "係数", "標準誤差", "p値"], [*coef, ["観測数", 12, "", ""]]),
        _c("block", "regression-df", "Japanese, 12 observations"),
    )
    add(
        "reg_df_column.csv",
        delimited(["term", "coef", "se", "df_resid"], [[*c[:3], 5] for c in coef]),
        _c("block", "regression-df", "a df column of 5"),
    )
    add(
        "reg_json.json",
        json_bytes(
            {"model": "logit", "nobs": 11, "params": records(["term", "coef", "se", "p"], coef)}
        ),
        _c("block", "regression-df", "JSON summary: nobs 11 and 6 terms"),
    )
    summary = (
        "                            OLS Regression Results\n"
        "==============================================================================\n"
        "Dep. Variable:                   cost   R-squared:                       0.412\n"
        "No. Observations:                  15   AIC:                             210.3\n"
        "Df Residuals:                       9   BIC:                             213.9\n"
        "Df Model:                           5\n"
        "==============================================================================\n"
    )
    add(
        "reg_statsmodels.txt",
        summary.encode(),
        _c("block", "regression-df", "a statsmodels summary: Df Residuals 9"),
    )
    add(
        "reg_or_ci.md",
        markdown(
            ["Variable", "OR", "95% CI", "p"],
            [["age", 1.1, "1.0-1.2", 0.05], ["sex", 1.4, "0.7-2.8", 0.3], ["N", 9, "", ""]],
        ),
        _c("block", "regression-df", "odds ratios in Markdown, N 9"),
    )


def _hidden(d: Data, add: Add) -> None:
    rows = delimited(
        ["person_id", "age", "cost"], [(d.ids[k], 40 + k, 1000 + k) for k in range(30)]
    )
    add(
        "hidden_png_trailing.png",
        png(trailing=rows),
        _c("block", "hidden-data", "a CSV of records appended after IEND"),
    )
    add(
        "hidden_png_text.png",
        png([("Comment", rows.decode())]),
        _c("block", "hidden-data", "records in a tEXt chunk"),
    )
    add(
        "hidden_jpeg_trailing.jpg",
        jpeg(trailing=rows),
        _c("block", "hidden-data", "records after the JPEG end marker"),
    )
    add(
        "hidden_jpeg_comment.jpg",
        jpeg(comment=rows.decode()),
        _c("block", "hidden-data", "records in a JPEG comment"),
    )
    add(
        "hidden_png_ids.png",
        png([("Description", " ".join(d.ids[:5]))]),
        _c("block", "hidden-data", "pseudonyms in a long description chunk"),
    )
    add(
        "hidden_png_short_tail.png",
        png(trailing=b"x" * 200),
        _c("block", "hidden-data", "200 bytes after the end: invisible payload"),
    )


def _profiles(d: Data, add: Add) -> None:
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    add(
        "os_unrounded.csv",
        delimited(["region", "n"], by_region),
        _c(
            "block", "rounding-required", "OpenSAFELY: counts must be rounded", profile="opensafely"
        ),
    )
    add(
        "os_seven.csv",
        delimited(["group", "n"], [["a", 7], ["b", 1500], ["c", 2500]]),
        _c("block", "threshold", "OpenSAFELY: a count of 7 is redacted", profile="opensafely"),
    )
    add(
        "ndb_small.csv",
        delimited(["都道府県", "患者数"], [["鳥取県", 9], ["東京都", 5200]]),
        _c("block", "threshold", "NDB: fewer than 10 patients", profile="ndb"),
    )
    add(
        "ndb_village.csv",
        delimited(["市区町村", "人口", "患者数"], [["A村", 1500, 12], ["B市", 80000, 300]]),
        _c("block", "municipality-minimum", "NDB: a village under 2,000 people", profile="ndb"),
    )
    add(
        "ndb_town_band.csv",
        delimited(["市区町村", "人口", "患者数"], [["C町", 12000, 15], ["D市", 90000, 300]]),
        _c(
            "block",
            "municipality-minimum",
            "NDB: 15 patients in a town under 25,000",
            profile="ndb",
        ),
    )
    add(
        "ndb_facilities.csv",
        delimited(["二次医療圏", "医療機関数", "患者数"], [["X", 2, 40], ["Y", 14, 600]]),
        _c("block", "facility-minimum", "NDB: two facilities", profile="ndb"),
    )
    add(
        "ndb_medicine.csv",
        delimited(
            ["薬効分類", "剤形", "処方数量"], [["抗がん剤", "注射", 320], ["降圧剤", "内服", 15000]]
        ),
        _c(
            "block",
            "medicine-minimum",
            "NDB: 320 units of an injection, patients unknown",
            profile="ndb",
        ),
    )
    add(
        "ndb_medicine_oral.csv",
        delimited(
            ["drug", "route", "quantity"], [["rare oral", "oral", 640], ["common", "oral", 9000]]
        ),
        _c("block", "medicine-minimum", "NDB: 640 oral units", profile="ndb"),
    )


SUBSETS = {
    "claims_c50.parquet": "SELECT * FROM claims WHERE icd10 = 'C50'",
    "claims_i10.parquet": "SELECT * FROM claims WHERE icd10 = 'I10'",
    "claims_100.parquet": "SELECT * FROM claims WHERE age >= 100 AND region <> 'Chugoku'",
}


def _write_subsets(d: Data, folder: Path) -> None:
    """The microdata behind the cases checked with theirs."""
    for name, sql in SUBSETS.items():
        pq.write_table(d.con.sql(sql).to_arrow_table(), folder / name)


def _with_microdata(d: Data, add: Add) -> None:
    """Outputs checked with the microdata they were computed from: what the file alone
    cannot show (one person's dominance, claims counted as people)."""
    c50 = d.rows(
        "SELECT region, count(DISTINCT person_id), round(avg(cost)) FROM claims "
        "WHERE icd10 = 'C50' GROUP BY 1 ORDER BY 1"
    )
    mean = {"by": ["region"], "value": "cost", "stat": "mean"}
    add(
        "micro_dominance.csv",
        delimited(["region", "patients", "mean_cost"], c50),
        _c(
            "block",
            "nk-dominance",
            "every cell has over 100 patients, but in one a single patient's treatment is "
            "nearly all of the total",
            microdata={"file": "claims_c50.parquet", **mean},
            acro={
                "kind": "crosstab",
                "index": ["region"],
                "columns": None,
                "values": "cost",
                "aggfunc": "mean",
                "where": "icd10 == 'C50'",
            },
        ),
    )
    add(
        "micro_dominance_ja.csv",
        delimited(["地域", "患者数", "平均費用"], c50),
        _c(
            "block",
            "nk-dominance",
            "the same, Japanese headers (cells matched by label)",
            microdata={"file": "claims_c50.parquet", **mean},
        ),
    )
    i10 = d.rows(
        "SELECT region, count(DISTINCT person_id), round(avg(cost)) FROM claims "
        "WHERE icd10 = 'I10' GROUP BY 1 ORDER BY 1"
    )
    add(
        "micro_safe_mean.csv",
        delimited(["region", "patients", "mean_cost"], i10),
        _c(
            "pass",
            "nk-dominance",
            "large cells, no dominant contributor, checked from microdata",
            microdata={"file": "claims_i10.parquet", **mean},
            acro={
                "kind": "crosstab",
                "index": ["region"],
                "columns": None,
                "values": "cost",
                "aggfunc": "mean",
                "where": "icd10 == 'I10'",
            },
        ),
    )
    claims100 = d.rows(
        "SELECT region, count(*) FROM claims WHERE age >= 100 AND region <> 'Chugoku' "
        "GROUP BY 1 ORDER BY 1"
    )
    add(
        "micro_claims_not_people.csv",
        delimited(["region", "claims"], claims100),
        _c(
            "block",
            "threshold",
            "every cell counts at least 10 claims, but some come from 3 or 4 people",
            microdata={"file": "claims_100.parquet", "by": ["region"], "stat": "count"},
            acro={
                "kind": "crosstab",
                "index": ["region"],
                "columns": None,
                "records": True,
                "where": "age >= 100 and region != 'Chugoku'",
            },
        ),
    )


def _more_styles(d: Data, add: Add) -> None:
    """More analysts: the same kinds of output in other hands."""
    rb = d.rows("SELECT region, age_band, count(*) FROM persons GROUP BY ALL ORDER BY ALL")
    wide = _wide(rb, REGIONS, BANDS)
    wide_ja = [[REGIONS_JA[REGIONS.index(r[0])], *r[1:]] for r in wide]
    acro = {"kind": "crosstab", "index": ["region"], "columns": "age_band"}
    add(
        "safe_region_band_wide_ja.csv",
        delimited(["地域", *BANDS], wide_ja),
        _c("pass", "threshold", "region x age band, wide, Japanese", acro=acro),
    )
    add(
        "safe_region_band_columns_ja.json",
        json_bytes(
            {"地域": [r[0] for r in wide_ja]}
            | {b: [r[j + 1] for r in wide_ja] for j, b in enumerate(BANDS)}
        ),
        _c("pass", "threshold", "the same as JSON columns", acro=acro),
    )
    add(
        "safe_region_band.md",
        markdown(["地域", *BANDS], wide_ja),
        _c("pass", "threshold", "the same as a Markdown table alone", acro=acro),
    )
    sr = d.rows("SELECT sex, region, count(*) FROM persons GROUP BY ALL ORDER BY ALL")
    add(
        "safe_sex_region_semicolon.csv",
        delimited(["sex", *REGIONS], _wide(sr, ["F", "M"], REGIONS), ";"),
        _c(
            "pass",
            "threshold",
            "sex x region, wide, semicolons",
            acro={"kind": "crosstab", "index": ["sex"], "columns": "region"},
        ),
    )
    cost = d.rows(
        "SELECT age_band, count(DISTINCT person_id), round(avg(cost), 1), round(median(cost)) "
        "FROM claims GROUP BY 1 ORDER BY 1"
    )
    add(
        "safe_cost_by_band.tsv",
        delimited(["age_band", "n", "mean_cost", "median_cost"], cost, "\t"),
        _c("pass", "threshold", "cost by age band with counts, TSV"),
    )
    add(
        "safe_cost_by_band.json",
        json_bytes(
            {
                "results": {
                    "by_age": records(["age_band", "patients", "mean_cost", "median_cost"], cost)
                }
            }
        ),
        _c("pass", "threshold", "the same nested in a JSON report"),
    )
    cb = d.rows(
        "SELECT icd10, age_band, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    add(
        "safe_code_band_long.tsv",
        delimited(["icd10", "age_band", "n"], cb, "\t"),
        _c("pass", "threshold", "diagnosis x age band, long, TSV"),
    )
    by_region = d.rows("SELECT region, count(*) FROM persons GROUP BY 1 ORDER BY 1")
    total = sum(n for _r, n in by_region)
    add(
        "safe_region_pct_ja.json",
        json_bytes(
            records(
                ["地域", "人数", "割合"],
                [
                    (REGIONS_JA[REGIONS.index(r)], n, round(100 * n / total, 1))
                    for r, n in by_region
                ],
            )
        ),
        _c("pass", "derived-count", "shares of the total beside their counts, JSON"),
    )
    add(
        "safe_region_total.md",
        markdown(["Region", "Persons"], [*by_region, ("Total", total)]),
        _c("pass", "differencing-total", "a Markdown table with a total row, nothing hidden"),
    )
    bs = d.rows("SELECT age_band, sex, count(*) FROM persons GROUP BY ALL ORDER BY ALL")
    add(
        "safe_band_total_col.csv",
        delimited(
            ["age_band", "F", "M", "All"], [[*r, r[1] + r[2]] for r in _wide(bs, BANDS, ["F", "M"])]
        ),
        _c("pass", "differencing-total", "a total column over shown cells"),
    )
    # Disclosive, in other hands.
    tiny = d.rows(
        "SELECT region, sex, count(*) FROM persons WHERE age >= 100 GROUP BY ALL ORDER BY ALL"
    )
    add(
        "small_centenarians_ja.tsv",
        delimited(["地域", "女", "男"], _wide(tiny, REGIONS, ["F", "M"]), "\t"),
        _c("block", "threshold", "centenarians by region and sex, Japanese TSV"),
    )
    add(
        "small_centenarians.json",
        json_bytes(
            {"region": [r[0] for r in tiny], "sex": [r[1] for r in tiny], "n": [r[2] for r in tiny]}
        ),
        _c("block", "threshold", "the same as JSON columns"),
    )
    rng = np.random.default_rng(SEED + 2)
    claims = [
        (f"CLM-2023-{int(k):07d}", int(c))
        for k, c in zip(rng.choice(10**7, 60, replace=False), rng.lognormal(9, 1, 60), strict=True)
    ]
    add(
        "id_claim_numbers.csv",
        delimited(["claim_id", "cost"], claims),
        _c("block", "pseudonym-like", "claim numbers, one claim per row"),
    )
    uuids = [str(uuid.UUID(int=int(rng.integers(0, 2**62)), version=4)) for _ in range(6)]
    add(
        "transposed_uuid_headers.tsv",
        delimited(["", *uuids], [["age", *range(40, 46)], ["sex", *"FMFMFM"]], "\t"),
        _c("block", "transposed-persons", "UUIDs as headers, attributes as rows"),
    )
    dob = [
        (f"19{40 + k % 50}-{1 + k % 12:02d}-{1 + k % 28:02d}", "F" if k % 2 else "M", int(v))
        for k, v in enumerate(rng.integers(1, 40, 30))
    ]
    add(
        "rows_birth_dates.csv",
        delimited(["birth_date", "sex", "visits"], dob),
        _c("block", "date-of-birth", "exact dates of birth per row"),
    )
    post = [
        (f"〒{int(a):03d}-{int(b):04d}", int(v))
        for a, b, v in rng.integers([100, 0, 10], [999, 9999, 40], (30, 3))
    ]
    add(
        "rows_postcodes_ja.csv",
        delimited(["郵便番号", "受診回数"], post),
        _c("block", "full-postcode", "full Japanese postcodes"),
    )
    add(
        "derived_rate_ja.csv",
        delimited(["市区町村", "人口", "人口10万対"], [["X町", 8000, 62.5], ["Y市", 400000, 31.2]]),
        _c("block", "derived-count", "8,000 x 62.5 per 100,000 = 5 people"),
    )
    shown = [(REGIONS_JA[REGIONS.index(r)], n) for r, n in by_region if r != "Shikoku"]
    add(
        "diff_omitted_footer_ja.txt",
        aligned(["地域", "人数"], shown, "地域別人数", f"合計: {sum(n for _r, n in shown) + 4}"),
        _c("block", "differencing-omitted", "a region left out; the footer total gives it (4)"),
    )
    add(
        "reg_or_ja.md",
        markdown(
            ["変数", "オッズ比", "95%信頼区間", "p値"],
            [
                ["年齢", 1.04, "0.98-1.10", 0.2],
                ["性別(男)", 2.1, "0.6-7.3", 0.3],
                ["喫煙", 3.2, "0.9-11", 0.07],
            ],
            "ロジスティック回帰",
            "症例数 = 11",
        ),
        _c("block", "regression-df", "11 cases, 3 terms, in a Japanese Markdown report"),
    )
    add(
        "hidden_jpeg_uuids.jpg",
        jpeg(trailing="\n".join(uuids).encode()),
        _c("block", "hidden-data", "UUIDs after the JPEG end marker"),
    )


# Codes of Japanese and international coding systems for the microdata's diagnoses, in each
# system's own format: a laboratory test (JLAC10: analyte, identification, material, method,
# result), a DPC group (14 characters, "x" where a field does not apply), a drug (HOT13:
# HOT7 prescription number, company, dispensing and logistics units), a standard disease name
# (MEDIS 病名管理番号, 8 digits).
JLAC10 = dict(zip(CODES, [
    "3F077000002327101", "3D046000001920402", "5G010000002306101", "3B035000002327201",
    "3B045000002327201", "4Z010000002305201", "3C015000002327101", "5D010000002306102",
    "3B070000002327201", "3D010000002327101", "5A020000002306101", "3F015000002327101",
], strict=True))  # fmt: skip
DPC = dict(zip(CODES, [
    "050130xx9900xx", "100070xx99x100", "040100xxxxx00x", "070343xx99x0xx", "060130xx99000x",
    "170040xxxxxxxx", "110280xx99000x", "090010xx010xxx", "050070xx9910xx", "010310xx99x0xx",
    "080010xxxx0xxx", "100335xx99x0xx",
], strict=True))  # fmt: skip
HOT13 = dict(zip(CODES, [
    "1149019010101", "1179012010101", "1189014010201", "1124023010101", "1179037020101",
    "1190010010101", "1123017010101", "1129016010301", "1150007010101", "1169008010101",
    "1171014010101", "1149035010201",
], strict=True))  # fmt: skip
MEDIS = dict(zip(CODES, [
    "20061234", "20052501", "20060127", "20089012", "20071245", "20064438", "20059973",
    "20084421", "20051112", "20069050", "20058821", "20063318",
], strict=True))  # fmt: skip
ICD_DESCRIPTION = dict(zip(CODES, [
    "I10:Essential_hypertension", "E11.9:Type2_diabetes", "J45.9:Asthma", "M54.5:Low_back_pain",
    "K21.9:GERD", "F32.9:Depressive_episode", "N18.3:CKD_stage3", "C50.9:Breast_cancer",
    "I48.9:Atrial_fibrillation", "G47.3:Sleep_apnoea", "L20.9:Atopic_dermatitis",
    "E78.5:Hyperlipidaemia",
], strict=True))  # fmt: skip


DISEASES_JA = [
    "本態性高血圧症", "2型糖尿病", "気管支喘息", "腰痛症", "逆流性食道炎", "うつ病",
    "慢性腎臓病", "乳癌", "心房細動", "睡眠時無呼吸症候群", "アトピー性皮膚炎", "脂質異常症",
]  # fmt: skip


def _code_labels(d: Data, add: Add) -> None:
    """Counts of people by a code of a coding system, written as analysts do: each row is a
    group of people and the codes have their system's format, so however long and distinct
    the codes are, they are categories, not persons."""
    by_code = d.rows("SELECT icd10, count(DISTINCT person_id) FROM claims GROUP BY 1 ORDER BY 1")
    by_code_sex = d.rows(
        "SELECT icd10, sex, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    by_band_code = d.rows(
        "SELECT age_band, icd10, count(DISTINCT person_id) FROM claims GROUP BY ALL ORDER BY ALL"
    )
    safe = "every group counts at least 10 people"

    def coded(system: dict[str, str], rows: Rows = by_code) -> list[list[Any]]:
        return [[system[r[0]], *r[1:]] for r in rows]

    add(
        "safe_jlac10_counts.csv",
        delimited(["test", "n"], coded(JLAC10)),
        _c("pass", "pseudonym-like", f"17-character JLAC10 codes, distinct per row: {safe}"),
    )
    hyphenated = {k: f"{v[:5]}-{v[5:9]}-{v[9:12]}-{v[12:15]}-{v[15:]}" for k, v in JLAC10.items()}
    add(
        "safe_jlac10_hyphenated.md",
        markdown(["item", "n"], coded(hyphenated)),
        _c("pass", "pseudonym-like", f"JLAC10 codes with hyphens, Markdown: {safe}"),
    )
    add(
        "safe_jlac10_15_ja.tsv",
        delimited(["検査", "人数"], coded({k: v[:15] for k, v in JLAC10.items()}), "\t"),
        _c("pass", "pseudonym-like", f"15-character JLAC10 (no result code), Japanese: {safe}"),
    )
    jlac11 = {
        k: f"{chr(65 + i)}{v[1:5]}-{v[5:9]}-{v[9:12]}-{v[12:15]}-F{i % 10}"
        for i, (k, v) in enumerate(JLAC10.items())
    }
    icd_ja = {c: f"{c} {name}" for c, name in zip(CODES, DISEASES_JA, strict=True)}
    add(
        "safe_jlac11_counts.csv",
        delimited(["measure", "patients"], coded(jlac11)),
        _c(
            "pass", "pseudonym-like", f"JLAC11 codes (letters in the first and last fields): {safe}"
        ),
    )
    add(
        "safe_jlac10_wide.csv",
        delimited(["age_band", *[JLAC10[c] for c in CODES]], _wide(by_band_code, BANDS, CODES)),
        _c("pass", "transposed-persons", f"JLAC10 codes as column headers of a crosstab: {safe}"),
    )
    add(
        "safe_dpc_counts.csv",
        delimited(["group", "n"], coded(DPC)),
        _c("pass", "pseudonym-like", f"14-character DPC groups with x fields: {safe}"),
    )
    add(
        "safe_icd_description.csv",
        delimited(["label", "n"], coded(ICD_DESCRIPTION)),
        _c("pass", "pseudonym-like", f"ICD-10 codes joined to a description: {safe}"),
    )
    add(
        "safe_icd_description_ja.json",
        json_bytes(records(["ラベル", "患者数"], coded(icd_ja))),
        _c("pass", "pseudonym-like", f"ICD-10 with a Japanese description, JSON: {safe}"),
    )
    add(
        "safe_hot13_named.csv",
        delimited(["HOTコード", "患者数"], coded(HOT13)),
        _c("pass", "pseudonym-like", f"13-digit HOT drug codes under a header naming them: {safe}"),
    )
    add(
        "safe_medis_byomei.csv",
        delimited(["病名管理番号", "患者数"], coded(MEDIS)),
        _c("pass", "pseudonym-like", f"MEDIS disease-name numbers (8 digits): {safe}"),
    )
    providers = {
        c: f"13{k:02d}1{(7919 * (k + 3)) % 10000:04d}{k % 10}" for k, c in enumerate(CODES)
    }
    add(
        "safe_provider_patients.csv",
        delimited(["provider", "patients"], coded(providers)),
        _c(
            "pass",
            "pseudonym-like",
            "10-digit provider numbers, distinct, but each row counts at least 10 patients: "
            "a row of several people is a group, not a person",
        ),
    )
    add(
        "safe_hot13_by_sex.csv",
        delimited(["drug", "sex", "n"], coded(HOT13, by_code_sex)),
        _c(
            "pass",
            "pseudonym-like",
            "13-digit codes that repeat across rows (one per sex): a label that repeats is a "
            f"category; {safe}",
        ),
    )


def _short_pseudonyms(d: Data, add: Add) -> None:
    """Short pseudonyms (8 characters, lowercase, another system's) under headers that do not
    say what they are: issued at random, they have one length, every position varies and
    letters and digits mix at the same positions, as no coding system's codes do."""
    rng = np.random.default_rng(SEED + 3)
    lower = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    hexa = np.array(list("0123456789abcdef"))
    take = rng.choice(PERSONS, 30, replace=False)
    ages = [int(a) for a in np.asarray(d.persons.column("age"))[take]]
    sexes = d.persons.column("sex").take(pa.array(take)).to_pylist()
    visits = [int(v) for v in rng.integers(10, 60, 30)]

    def tokens(alphabet: np.ndarray, n: int = 30, length: int = 8) -> list[str]:
        return ["".join(rng.choice(alphabet, length)) for _ in range(n)]

    add(
        "id_short_ref.csv",
        delimited(["ref", "age", "sex"], list(zip(tokens(lower), ages, sexes, strict=True))),
        _c("block", "pseudonym-like", "8-character lowercase pseudonyms under 'ref', per row"),
    )
    add(
        "id_short_visits.csv",
        delimited(["key", "visits"], list(zip(tokens(hexa), visits, strict=True))),
        _c(
            "block",
            "pseudonym-like",
            "8-character hexadecimal pseudonyms beside each person's visits (all 10 or more): "
            "a count per pseudonym is a row per person",
        ),
    )
    add(
        "id_short_group.md",
        markdown(["group", "n"], list(zip(tokens(letters), visits, strict=True))),
        _c(
            "block",
            "pseudonym-like",
            "8-letter random pseudonyms under 'group' beside counts, Markdown: no words, no format",
        ),
    )
    add(
        "id_short_ja.csv",
        delimited(["記号", "受診回数"], list(zip(tokens(lower), visits, strict=True))),
        _c("block", "pseudonym-like", "short pseudonyms under a Japanese header ('symbol')"),
    )
    heads = tokens(lower, 6)
    yearly = [[f"cost_{y}", *[int(v) for v in rng.lognormal(10, 1, 6)]] for y in range(2019, 2024)]
    add(
        "id_short_transposed.csv",
        delimited(["item", *heads], yearly),
        _c(
            "block",
            "transposed-persons",
            "a column per person headed by an 8-character pseudonym, rows of yearly costs",
        ),
    )
    records13 = [str(x) for x in rng.integers(10**12, 10**13, 30)]
    add(
        "id_13_digits_counts.csv",
        delimited(["item", "n"], list(zip(records13, visits, strict=True))),
        _c(
            "block",
            "pseudonym-like",
            "distinct 13-digit numbers of one length beside counts, under a header that names "
            "no coding system and no count of people: record numbers until shown otherwise",
        ),
    )


def _class_long(d: Data, add: Add) -> None:
    """Class disclosure in long tables, as a GROUP BY writes them: a row per combination, the
    zero combinations left out. Everyone aged 75 or more is in the late-elderly insurance
    (後期高齢者医療), so that age band has one insurance row; people under 75 are split."""
    rng = np.random.default_rng(SEED + 4)
    age = np.asarray(d.persons.column("age"))
    insurance = np.where(
        age >= 75,
        "後期高齢者医療",
        np.where(rng.random(len(age)) < 0.55, "国民健康保険", "被用者保険"),
    )
    d.con.register("insured", pa.table({"age_band": d.persons.column("age_band"),
                                        "insurance": insurance}))  # fmt: skip
    by_band = d.rows("SELECT age_band, insurance, count(*) FROM insured GROUP BY ALL ORDER BY ALL")
    header = ["年齢階級", "保険者種別", "人数"]
    add(
        "class_all_long_ja.csv",
        delimited(header, by_band),
        _c(
            "block",
            "class-disclosure",
            "the 75+ band has one insurance row: the others are zeros a GROUP BY left out, "
            "which ACRO's crosstab shows and fails (zeros are disclosive)",
        ),
    )
    add(
        "class_all_long_ndb.csv",
        delimited(header, by_band),
        _c(
            "pass",
            "class-disclosure",
            "the same under the NDB rules, where zeros may be published (noted only)",
            profile="ndb",
        ),
    )
    rare = d.rows(
        "SELECT sex, CASE WHEN age >= 95 THEN 'aged_95_plus' ELSE 'under_95' END, count(*) "
        "FROM persons GROUP BY ALL ORDER BY ALL"
    )
    add(
        "review_class_long.csv",
        delimited(["sex", "age_group", "n"], rare),
        _c(
            "review",
            "class-disclosure",
            "the long layout of review_class_share.csv: nearly everyone in each sex is under "
            "95, the rest a safe count; a checker judges the statement",
        ),
    )
    nested = d.rows(
        "SELECT CASE WHEN prefecture = 'JP-01' THEN 'Hokkaido' WHEN prefecture <= 'JP-07' "
        "THEN 'Tohoku' ELSE 'other' END AS area, prefecture, count(*) FROM persons "
        "GROUP BY ALL ORDER BY ALL"
    )
    add(
        "safe_nested_areas.csv",
        delimited(["area", "prefecture", "n"], nested),
        _c(
            "pass",
            "class-disclosure",
            "prefectures nested in areas (Hokkaido has one): not a cross-classification, so "
            "an area's only prefecture is no class",
        ),
    )
    named = [(c, ICD_DESCRIPTION[c].split(":")[1], n) for c, n in d.rows(
        "SELECT icd10, count(DISTINCT person_id) FROM claims GROUP BY 1 ORDER BY 1")]  # fmt: skip
    add(
        "safe_code_and_name.csv",
        delimited(["icd10", "name", "n"], named),
        _c(
            "pass",
            "class-disclosure",
            "a code beside its name: each code has one name, a description, not a class",
        ),
    )


__all__ = ["SEED", "Case", "build", "check_case", "microdata"]


def check_case(folder: Path, case: Case, person_ids: pa.Array | None = None) -> Any:
    """The gate's report on one case, under its profile (with the extract's persons when
    the case says so)."""
    from tre.sdc import CheckContext, SdcParams, check_file

    params = SdcParams.profile_named(case.profile)
    context = CheckContext(filename=case.file, person_ids=person_ids if case.person_ids else None)
    if case.microdata:
        spec = case.microdata
        context = replace(
            context,
            microdata=folder / spec["file"],
            by=spec["by"],
            value=spec.get("value"),
            stat=spec.get("stat"),
        )
    return check_file(folder / case.file, params, context)

"""Synthetic FHIR R4 bulk-export data at any scale (`tre demo-data`), for demos and benchmarks.

Japanese patients with realistic direct identifiers, prefectures, ICD-10 diagnoses, LOINC
observations, ATC drugs, SNOMED CT procedures and JPY claims; rendered vectorised with Arrow
and written in chunks, so a million patients fit in bounded memory. See docs/demo-data.md.
"""

from tre.lake.synth.generate import RESOURCE_TYPES
from tre.lake.synth.population import INSURANCE_SYSTEM, MRN_SYSTEM_PREFIX
from tre.lake.synth.writer import CHUNK_SIZE, DemoSummary, file_name, write_demo_data

__all__ = [
    "CHUNK_SIZE",
    "INSURANCE_SYSTEM",
    "MRN_SYSTEM_PREFIX",
    "RESOURCE_TYPES",
    "DemoSummary",
    "file_name",
    "write_demo_data",
]

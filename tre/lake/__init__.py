"""The pseudonymised lake: ingestion (FHIR, tabular), snapshots, catalogue, opt-outs.

Entry points: `tre.lake.ingest.ingest_fhir`, `tre.lake.tabular.ingest_table`,
`tre.lake.catalog.load_catalog`, `tre.lake.optout.opted_out` / `add_optout`,
`tre.lake.snapshots.list_snapshots`. See docs/lake.md.
"""

package tre.lake_test

import data.tre.testing as t

lake_cases := [
	{"name": "admin ingests", "input": {"action": "lake.ingest", "actor": t.admin}, "allow": true},
	{"name": "admin records opt-out", "input": {"action": "optout.add", "actor": t.admin}, "allow": true},
	{"name": "admin looks up use", "input": {"action": "transparency.lookup", "actor": t.admin}, "allow": true},
	{"name": "approver cannot ingest", "input": {"action": "lake.ingest", "actor": t.approver}, "allow": false, "reason": "only an admin"},
	{"name": "analyst cannot record opt-out", "input": {"action": "optout.add", "actor": t.analyst}, "allow": false, "reason": "only an admin"},
	{"name": "checker cannot look up use", "input": {"action": "transparency.lookup", "actor": t.checker}, "allow": false, "reason": "only an admin"},
]

test_lake if count(t.failures(lake_cases)) == 0

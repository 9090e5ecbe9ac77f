package tre.workspace_test

import data.tre.testing as t

start(actor, extra) := object.union(t.on_project("workspace.start", actor), extra)

start_cases := [
	{"name": "analyst starts", "input": start(t.analyst, {}), "allow": true},
	{"name": "lead starts", "input": start(t.lead, {}), "allow": true},
	{"name": "member checker cannot start", "input": start(t.member_checker, {}), "allow": false, "reason": "only the project's lead and analysts"},
	{"name": "outsider cannot start", "input": start(t.outsider, {}), "allow": false, "reason": "only the project's lead and analysts"},
	{"name": "admin cannot start", "input": start(t.admin, {}), "allow": false, "reason": "only the project's lead and analysts"},
	{"name": "submitted project", "input": start(t.analyst, {"project": {"status": "submitted"}}), "allow": false, "reason": "not approved"},
	{"name": "revoked project", "input": start(t.analyst, {"project": {"status": "revoked"}}), "allow": false, "reason": "not approved"},
	{"name": "not provisioned", "input": start(t.analyst, {"project": {"provisioned": false}}), "allow": false, "reason": "not provisioned"},
	{"name": "provisioned unknown", "input": t.replace(start(t.analyst, {}), "project", object.remove(t.project, ["provisioned"])), "allow": false, "reason": "not provisioned"},
	{"name": "revoked permit", "input": start(t.analyst, {"permit": {"revoked": true}}), "allow": false, "reason": "revoked"},
	{"name": "permit expired", "input": start(t.analyst, {"today": "2027-01-01"}), "allow": false, "reason": "expired"},
	{"name": "permit not yet valid", "input": start(t.analyst, {"today": "2024-06-01"}), "allow": false, "reason": "valid only from"},
	{"name": "no permit", "input": object.remove(start(t.analyst, {}), ["permit"]), "allow": false, "reason": "no data permit"},
	{"name": "anonymous", "input": object.remove(start(t.analyst, {}), ["actor"]), "allow": false, "reason": "sign in"},
]

test_start if count(t.failures(start_cases)) == 0

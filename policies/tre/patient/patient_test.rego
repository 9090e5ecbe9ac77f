package tre.patient_test

import data.tre.testing as t

issue(actor) := {"action": "patient.code.issue", "actor": actor}

patient_cases := [
	{"name": "admin issues a code", "input": issue(t.admin), "allow": true},
	{"name": "data holder issues a code", "input": issue(t.user("hospital", ["data_holder"])), "allow": true},
	{"name": "approver cannot issue", "input": issue(t.approver), "allow": false, "reason": "only an admin or a data holder"},
	{"name": "anonymous cannot issue", "input": {"action": "patient.code.issue"}, "allow": false, "reason": "sign in"},
	{"name": "verified person sees their use", "input": {"action": "patient.view", "patient": {"verified": true}}, "allow": true},
	{"name": "verified person opts out", "input": {"action": "patient.optout", "patient": {"verified": true}}, "allow": true},
	{"name": "verified person withdraws", "input": {"action": "patient.optout_withdraw", "patient": {"verified": true}}, "allow": true},
	{"name": "no proof, no view", "input": {"action": "patient.view"}, "allow": false, "reason": "prove who you are"},
	{"name": "a claim is not a proof", "input": {"action": "patient.optout", "patient": {"verified": "yes"}}, "allow": false, "reason": "prove who you are"},
]

test_patient if count(t.failures(patient_cases)) == 0

package tre.audit_test

import data.tre.testing as t

audit_cases := [
	{"name": "admin reads", "input": {"action": "audit.read", "actor": t.admin}, "allow": true},
	{"name": "approver cannot read", "input": {"action": "audit.read", "actor": t.approver}, "allow": false, "reason": "only an admin"},
	{"name": "checker cannot read", "input": {"action": "audit.read", "actor": t.checker}, "allow": false, "reason": "only an admin"},
	{"name": "analyst cannot read", "input": {"action": "audit.read", "actor": t.analyst}, "allow": false, "reason": "only an admin"},
	{"name": "anonymous cannot read", "input": {"action": "audit.read"}, "allow": false, "reason": "sign in"},
	{"name": "admin signs a checkpoint", "input": {"action": "audit.checkpoint", "actor": t.admin}, "allow": true},
	{"name": "checker cannot sign a checkpoint", "input": {"action": "audit.checkpoint", "actor": t.checker}, "allow": false, "reason": "only an admin may sign"},
	{"name": "admin rotates the key", "input": {"action": "audit.key_rotate", "actor": t.admin}, "allow": true},
	{"name": "approver cannot rotate the key", "input": {"action": "audit.key_rotate", "actor": t.approver}, "allow": false, "reason": "only an admin may rotate"},
	{"name": "anonymous cannot rotate the key", "input": {"action": "audit.key_rotate"}, "allow": false, "reason": "sign in"},
]

test_audit if count(t.failures(audit_cases)) == 0

package tre.user_test

import data.tre.testing as t

add(actor, target, admins) := {"action": "user.add", "actor": actor, "target": target, "system": {"admin_count": admins}}

user_cases := [
	{"name": "admin adds analyst", "input": add(t.admin, {"username": "bo", "roles": ["analyst"]}, 1), "allow": true},
	{"name": "admin adds checker and approver", "input": add(t.admin, {"username": "bo", "roles": ["output_checker", "approver"]}, 1), "allow": true},
	{"name": "approver cannot add users", "input": add(t.approver, {"username": "bo", "roles": ["analyst"]}, 1), "allow": false, "reason": "only an admin"},
	{"name": "unknown role", "input": add(t.admin, {"username": "bo", "roles": ["superuser"]}, 1), "allow": false, "reason": "not a role"},
	{"name": "bootstrap: first admin adds self", "input": add(t.stranger, {"username": "sam", "roles": ["admin"]}, 0), "allow": true},
	{"name": "bootstrap only while no admin exists", "input": add(t.stranger, {"username": "sam", "roles": ["admin"]}, 1), "allow": false, "reason": "only an admin"},
	{"name": "bootstrap only for oneself", "input": add(t.stranger, {"username": "eve", "roles": ["admin"]}, 0), "allow": false, "reason": "only an admin"},
	{"name": "bootstrap only as admin", "input": add(t.stranger, {"username": "sam", "roles": ["analyst"]}, 0), "allow": false, "reason": "only an admin"},
	{"name": "admin lists users", "input": {"action": "user.list", "actor": t.admin}, "allow": true},
	{"name": "admin adds a data holder", "input": add(t.admin, {"username": "hosp", "roles": ["data_holder"]}, 1), "allow": true},
	{"name": "admin resets a second factor", "input": {"action": "user.reset_2fa", "actor": t.admin}, "allow": true},
	{"name": "approver cannot reset a second factor", "input": {"action": "user.reset_2fa", "actor": t.approver}, "allow": false, "reason": "only an admin may reset"},
	{"name": "analyst cannot list users", "input": {"action": "user.list", "actor": t.analyst}, "allow": false, "reason": "only an admin"},
]

test_users if count(t.failures(user_cases)) == 0

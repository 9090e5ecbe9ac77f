# Shared fixtures and the table-driven checker used by every *_test.rego package.
#
# A case is {"name", "input", "allow", optional "reason"}: the decision for `input` must
# have that `allow`, and when `reason` is given, some deny message must contain it.
package tre.testing

import data.tre.authz

# Names of the cases whose decision differs from what the case expects.
failures(cases) := {c.name |
	some c in cases
	d := authz.decision with input as c.input
	not outcome_ok(d, c)
}

outcome_ok(d, c) if {
	d.allow == c.allow
	not c.reason
}

outcome_ok(d, c) if {
	d.allow == c.allow
	some r in d.reasons
	contains(r, c.reason)
}

user(name, roles) := {"username": name, "roles": roles, "known": true}

admin := user("ada", ["admin"])

approver := user("appy", ["approver"])

checker := user("chk", ["output_checker"])

checker2 := user("chk2", ["output_checker"])

checker3 := user("chk3", ["output_checker"])

lead := user("lena", ["analyst"])

analyst := user("ana", ["analyst"])

member_checker := user("cora", [])

outsider := user("otto", ["analyst"])

stranger := {"username": "sam", "roles": [], "known": false}

today := "2025-06-01"

project := {
	"id": "p-1",
	"status": "approved",
	"tier": "standard",
	"applicant": "lena",
	"members": {"lena": "lead", "ana": "analyst", "cora": "output_checker"},
	"approvers": ["appy"],
	"provisioned": true,
}

submitted_project := object.union(project, {"status": "submitted", "approvers": [], "provisioned": false})

permit := {
	"grant": {"synthea.patients": ["sex", "birth_month"], "synthea.conditions": ["code"]},
	"valid_from": "2025-01-01",
	"valid_to": "2026-12-31",
	"revoked": false,
}

# An input for `action` by `actor` on the standard approved project with a valid permit.
on_project(action, actor) := {
	"action": action,
	"actor": actor,
	"project": project,
	"permit": permit,
	"today": today,
	"settings": {"separation_of_duties": true},
}

with_fields(action, actor, extra) := object.union(on_project(action, actor), extra)

# `obj` with `key` set to `value` (object.union would merge nested objects instead).
replace(obj, key, value) := object.union(object.remove(obj, [key]), {key: value})

package tre.authz_test

import data.tre.authz
import data.tre.testing as t

public_cases := [
	{"name": "anonymous views catalogue", "input": {"action": "catalogue.view"}, "allow": true},
	{"name": "anonymous views register", "input": {"action": "register.view"}, "allow": true},
	{"name": "analyst views catalogue", "input": {"action": "catalogue.view", "actor": t.analyst}, "allow": true},
	{"name": "unknown action", "input": {"action": "project.delete", "actor": t.admin}, "allow": false, "reason": "not an action the policy knows"},
	{"name": "missing action", "input": {"actor": t.admin}, "allow": false},
	{"name": "non-string actor name", "input": {"action": "audit.read", "actor": {"username": 7, "roles": ["admin"]}}, "allow": false, "reason": "sign in"},
]

test_public if count(t.failures(public_cases)) == 0

# Every non-public action refuses a caller who is not signed in.
anonymous_allowed contains action if {
	some action, spec in authz.actions
	spec.public == false
	d := authz.decision with input as {
		"action": action,
		"project": t.project, "permit": t.permit, "today": t.today,
		"request": {"author": "ana", "status": "draft"}, "release": {"status": "released"},
	}
	d.allow
}

test_private_actions_need_sign_in if count(anonymous_allowed) == 0

# A signed-in account without roles or memberships can only apply.
nobody_allowed contains action if {
	some action, spec in authz.actions
	spec.public == false
	d := authz.decision with input as t.with_fields(action, t.user("nobody", []), {
		"request": {"author": "ana", "status": "draft"}, "release": {"status": "released"},
	})
	d.allow
}

test_roleless_user_can_only_apply if nobody_allowed == {"project.apply"}

test_decision_has_reasons_when_denied if {
	d := authz.decision with input as {"action": "audit.read", "actor": t.analyst}
	d.allow == false
	count(d.reasons) > 0
}

test_decision_reasons_sorted if {
	d := authz.decision with input as {"action": "workspace.start", "actor": t.outsider, "project": {"id": "p-9", "status": "revoked"}}
	d.reasons == sort(d.reasons)
	count(d.reasons) >= 3
}

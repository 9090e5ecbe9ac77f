package tre.common_test

import data.tre.common
import data.tre.testing as t

permit_cases := [
	{"name": "valid", "today": "2025-06-01", "permit": t.permit, "problems": 0},
	{"name": "first day", "today": "2025-01-01", "permit": t.permit, "problems": 0},
	{"name": "last day", "today": "2026-12-31", "permit": t.permit, "problems": 0},
	{"name": "day before", "today": "2024-12-31", "permit": t.permit, "problems": 1},
	{"name": "day after", "today": "2027-01-01", "permit": t.permit, "problems": 1},
	{"name": "revoked and expired", "today": "2027-01-01", "permit": object.union(t.permit, {"revoked": true}), "problems": 2},
	{"name": "null permit", "today": "2025-06-01", "permit": null, "problems": 1},
]

permit_failures contains c.name if {
	some c in permit_cases
	problems := common.permit_problems with input as {"today": c.today, "permit": c.permit}
	count(problems) != c.problems
}

test_permit_problems if count(permit_failures) == 0

test_missing_permit if {
	problems := common.permit_problems with input as {"today": "2025-06-01"}
	problems == {"the project has no data permit"}
}

role_cases := [
	{"name": "lead works", "actor": t.lead, "works": true, "checker": false},
	{"name": "analyst works", "actor": t.analyst, "works": true, "checker": false},
	{"name": "member checker", "actor": t.member_checker, "works": false, "checker": true},
	{"name": "global checker", "actor": t.checker, "works": false, "checker": true},
	{"name": "outsider", "actor": t.outsider, "works": false, "checker": false},
]

role_failures contains c.name if {
	some c in role_cases
	c.works
	not common.works_on_project with input as t.on_project("project.view", c.actor)
}

role_failures contains c.name if {
	some c in role_cases
	not c.works
	common.works_on_project with input as t.on_project("project.view", c.actor)
}

role_failures contains c.name if {
	some c in role_cases
	c.checker
	not common.is_output_checker with input as t.on_project("project.view", c.actor)
}

role_failures contains c.name if {
	some c in role_cases
	not c.checker
	common.is_output_checker with input as t.on_project("project.view", c.actor)
}

test_roles if count(role_failures) == 0

test_separation_of_duties_default_on if common.separation_of_duties with input as {}

test_separation_of_duties_off if {
	not common.separation_of_duties with input as {"settings": {"separation_of_duties": false}}
}

test_separation_of_duties_non_boolean_ignored if {
	common.separation_of_duties with input as {"settings": {"separation_of_duties": "no"}}
}

test_tier_fallback if {
	common.tier == "standard" with input as {"project": {"tier": "unknown"}}
	common.tier == "high" with input as {"project": {"tier": "high"}}
	common.tier_params.required_approvals == 3 with input as {"project": {"tier": "high"}}
}

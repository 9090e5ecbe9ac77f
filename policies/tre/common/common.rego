# Facts about the actor, the project and its permit that every decision uses.
#
# Input shape (see docs/governance.md): input.actor {username, roles, known},
# input.project {id, status, tier, applicant, members {username: role}, approvers,
# provisioned}, input.permit {grant, valid_from, valid_to, revoked}, input.today
# (YYYY-MM-DD), input.settings {separation_of_duties}.
package tre.common

global_roles := {r | some r in data.tre.params.global_roles}

member_roles := {r | some r in data.tre.params.member_roles}

# Project roles that do analysis (and so may start workspaces and ask for releases).
working_roles := {"lead", "analyst"}

actor_roles := {r | some r in input.actor.roles}

signed_in if {
	is_string(input.actor.username)
	input.actor.username != ""
}

known_user if {
	signed_in
	input.actor.known == true
}

is_admin if "admin" in actor_roles

is_approver if "approver" in actor_roles

may_decide_applications if is_admin

may_decide_applications if is_approver

member_role := input.project.members[input.actor.username]

is_member if member_role

works_on_project if member_role in working_roles

is_output_checker if "output_checker" in actor_roles

is_output_checker if member_role == "output_checker"

default separation_of_duties := true

separation_of_duties := input.settings.separation_of_duties if is_boolean(input.settings.separation_of_duties)

# True when the actor decided this project's application.
approved_application if input.actor.username in input.project.approvers

default project_status := "unknown"

project_status := input.project.status if is_string(input.project.status)

provisioned if input.project.provisioned == true

project_active if project_status == "approved"

# Why the project's data permit does not allow use of data today (empty when it does).
permit_problems contains "the project has no data permit" if not input.permit

permit_problems contains "the project has no data permit" if input.permit == null

permit_problems contains "the project's data permit has been revoked" if input.permit.revoked == true

permit_problems contains msg if {
	input.today < input.permit.valid_from
	msg := sprintf("the project's data permit is valid only from %s", [input.permit.valid_from])
}

permit_problems contains msg if {
	input.today > input.permit.valid_to
	msg := sprintf("the project's data permit expired on %s", [input.permit.valid_to])
}

default tier := "standard"

tier := input.project.tier if data.tre.params.tiers[input.project.tier]

tier_params := data.tre.params.tiers[tier]

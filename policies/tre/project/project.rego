# Applications, their decisions, membership and provisioning.
package tre.project

import data.tre.common

staff_view if common.is_admin

staff_view if common.is_approver

staff_view if "output_checker" in common.actor_roles

deny contains "you need an account to apply; ask an admin to add you" if {
	input.action == "project.apply"
	common.signed_in
	not common.known_user
}

deny contains "only project members, approvers, output checkers and admins may see a project" if {
	input.action == "project.view"
	not staff_view
	not common.is_member
}

decision_actions := {"project.approve", "project.reject"}

deny contains "only an approver or an admin may decide an application" if {
	input.action in decision_actions
	not common.may_decide_applications
}

deny contains msg if {
	input.action in decision_actions
	common.project_status != "submitted"
	msg := sprintf("only a submitted application can be decided; this one is %v", [common.project_status])
}

deny contains "an applicant or member of a project may not decide its application" if {
	input.action in decision_actions
	conflicted_decider
}

conflicted_decider if input.project.applicant == input.actor.username

conflicted_decider if common.is_member

deny contains "a permit must end after it starts" if {
	input.action == "project.approve"
	input.permit.valid_to <= input.permit.valid_from
}

deny contains "a permit must grant at least one dataset" if {
	input.action == "project.approve"
	count(object.keys(input.permit.grant)) == 0
}

deny contains "only an approver or an admin may revoke a project" if {
	input.action == "project.revoke"
	not common.may_decide_applications
}

deny contains msg if {
	input.action == "project.revoke"
	common.project_status != "approved"
	msg := sprintf("only an approved project can be revoked; this one is %v", [common.project_status])
}

# A revoked project's extract is deleted (its records of who was in it stay).
deny contains "only an approver or an admin may delete a project's extract" if {
	input.action == "project.extract_delete"
	not common.may_decide_applications
}

deny contains msg if {
	input.action == "project.extract_delete"
	common.project_status != "revoked"
	msg := sprintf("only a revoked project's extract can be deleted; this one is %v", [common.project_status])
}

member_actions := {"project.members.add", "project.members.remove"}

deny contains "only an approver or an admin may change a project's members" if {
	input.action in member_actions
	not common.may_decide_applications
}

deny contains msg if {
	input.action in member_actions
	not common.project_status in {"submitted", "approved"}
	msg := sprintf("members can change only while a project is submitted or approved; it is %v", [common.project_status])
}

deny contains msg if {
	input.action == "project.members.add"
	not input.member.role in common.member_roles
	msg := sprintf("%v is not a project role; roles are %v", [input.member.role, concat(", ", sort(common.member_roles))])
}

deny contains "the new member needs an account first (tre user add)" if {
	input.action == "project.members.add"
	not input.member.known == true
}

deny contains "with separation of duties, whoever approved the application may not check its outputs" if {
	input.action == "project.members.add"
	input.member.role == "output_checker"
	common.separation_of_duties
	input.member.username in input.project.approvers
}

deny contains "an output checker of a project may not also work on it" if {
	input.action == "project.members.add"
	input.member.role in common.working_roles
	input.project.members[input.member.username] == "output_checker"
}

deny contains "the applicant leads the project and cannot be removed; revoke the project instead" if {
	input.action == "project.members.remove"
	input.member.username == input.project.applicant
}

deny contains "only an admin may provision a project's extract" if {
	input.action == "project.provision"
	not common.is_admin
}

deny contains msg if {
	input.action == "project.provision"
	not common.project_active
	msg := sprintf("only an approved project can be provisioned; this one is %v", [common.project_status])
}

deny contains msg if {
	input.action == "project.provision"
	some msg in common.permit_problems
}

# An extract may hold only what the permit grants.
deny contains msg if {
	input.action == "project.provision"
	some dataset, _ in input.extract.datasets
	not input.permit.grant[dataset]
	msg := sprintf("the permit does not grant dataset %v", [dataset])
}

deny contains msg if {
	input.action == "project.provision"
	some dataset, columns in input.extract.datasets
	granted := {c | some c in input.permit.grant[dataset]}
	some column in columns
	not column in granted
	msg := sprintf("the permit does not grant column %v of dataset %v", [column, dataset])
}

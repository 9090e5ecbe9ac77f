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

deny contains msg if {
	input.action in {"project.apply", "project.resubmit"}
	some member in input.team
	not member.known == true
	msg := sprintf("team member %v needs an account first", [member.username])
}

deny contains "the applicant leads the project and is not named in its team" if {
	input.action in {"project.apply", "project.resubmit"}
	some member in input.team
	member.username == input.actor.username
}

deny contains "only project members, approvers, output checkers and admins may see a project" if {
	input.action == "project.view"
	not staff_view
	not common.is_member
}

decision_actions := {"project.approve", "project.reject", "project.ask"}

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

deny contains "a rejection needs reasons, for the applicant and the public register" if {
	input.action == "project.reject"
	not has_text
}

deny contains "a question for the applicant needs its text" if {
	input.action == "project.ask"
	not has_text
}

has_text if {
	is_string(input.text)
	input.text != ""
}

# The applicant answers the review body's questions.
deny contains "only the project's lead may answer the review body's questions" if {
	input.action == "project.resubmit"
	not common.member_role == "lead"
}

deny contains msg if {
	input.action == "project.resubmit"
	common.project_status != "returned"
	msg := sprintf("only an application returned with questions can be answered; this one is %v", [common.project_status])
}

deny contains "an answer to the review body needs its text" if {
	input.action == "project.resubmit"
	not has_text
}

# The permit grants at most what was applied for, at a tier the data allows.
deny contains msg if {
	input.action == "project.approve"
	some dataset, _ in input.permit.grant
	not input.permit.requested[dataset]
	msg := sprintf("the permit may grant only what was applied for; dataset %v was not", [dataset])
}

deny contains msg if {
	input.action == "project.approve"
	some dataset, columns in input.permit.grant
	asked := {c | some c in input.permit.requested[dataset]}
	some column in columns
	not column in asked
	msg := sprintf("the permit may grant only what was applied for; column %v of dataset %v was not", [column, dataset])
}

deny contains msg if {
	input.action == "project.approve"
	not data.tre.params.tiers[input.permit.tier]
	msg := sprintf("%v is not a sensitivity tier", [input.permit.tier])
}

deny contains msg if {
	input.action == "project.approve"
	input.permit.required_tier == "high"
	input.permit.tier != "high"
	msg := "the data granted needs the high tier"
}

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

member_actions := {
	"project.members.add", "project.members.remove",
	"project.members.role", "project.members.handover",
}

deny contains "only an approver or an admin may change a project's members" if {
	input.action in member_actions
	not common.may_decide_applications
}

deny contains msg if {
	input.action in member_actions
	not common.project_status in {"submitted", "returned", "approved"}
	msg := sprintf("members can change only while a project is submitted or approved; it is %v", [common.project_status])
}

deny contains msg if {
	input.action in {"project.members.add", "project.members.role"}
	not input.member.role in common.member_roles
	msg := sprintf("%v is not a project role; roles are %v", [input.member.role, concat(", ", sort(common.member_roles))])
}

deny contains "the new member needs an account first (tre user add)" if {
	input.action == "project.members.add"
	not input.member.known == true
}

current_role := input.project.members[input.member.username]

deny contains msg if {
	input.action == "project.members.add"
	current_role
	msg := sprintf("%v is already a member (%v); change a role explicitly", [input.member.username, current_role])
}

deny contains msg if {
	input.action in {"project.members.role", "project.members.handover", "project.members.remove"}
	not current_role
	msg := sprintf("%v is not a member of this project", [input.member.username])
}

deny contains "a project has one lead: hand the lead over to another member instead" if {
	input.action in {"project.members.add", "project.members.role"}
	input.member.role == "lead"
}

deny contains "the lead's role changes only by handing the lead over to another member" if {
	input.action == "project.members.role"
	current_role == "lead"
}

deny contains "the lead cannot be removed; hand the lead over to another member first" if {
	input.action == "project.members.remove"
	current_role == "lead"
}

deny contains "the lead can be handed over only to an analyst of the project" if {
	input.action == "project.members.handover"
	current_role
	current_role != "analyst"
}

deny contains "with separation of duties, whoever approved the application may not check its outputs" if {
	input.action in {"project.members.add", "project.members.role"}
	input.member.role == "output_checker"
	common.separation_of_duties
	input.member.username in input.project.approvers
}

deny contains "an output checker of a project may not also work on it" if {
	input.action in {"project.members.add", "project.members.role"}
	input.member.role in common.working_roles
	current_role == "output_checker"
}

deny contains "someone who works on a project may not also check its outputs" if {
	input.action == "project.members.role"
	input.member.role == "output_checker"
	current_role in common.working_roles
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

# The single entry point: `data.tre.authz.decision` for input.action.
#
# Each area package adds `deny` messages for its own actions; an action is allowed
# only when it is known here and no package denies it. Decisions carry reasons.
package tre.authz

import data.tre.airlock
import data.tre.audit
import data.tre.common
import data.tre.lake
import data.tre.patient
import data.tre.project
import data.tre.user
import data.tre.workspace

# Every action the TRE asks about. Public actions need no sign-in.
actions := {
	"catalogue.view": {"public": true},
	"register.view": {"public": true},
	"user.add": {"public": false},
	"user.list": {"public": false},
	"user.reset_2fa": {"public": false},
	"project.apply": {"public": false},
	"project.view": {"public": false},
	"project.approve": {"public": false},
	"project.ask": {"public": false},
	"project.resubmit": {"public": false},
	"project.reject": {"public": false},
	"project.revoke": {"public": false},
	"project.members.add": {"public": false},
	"project.members.remove": {"public": false},
	"project.members.role": {"public": false},
	"project.members.handover": {"public": false},
	"project.provision": {"public": false},
	"project.extract_delete": {"public": false},
	"workspace.start": {"public": false},
	"airlock.view": {"public": false},
	"airlock.submit": {"public": false},
	"airlock.withdraw": {"public": false},
	"airlock.review": {"public": false},
	"airlock.decide": {"public": false},
	"airlock.override": {"public": false},
	"airlock.release": {"public": false},
	"airlock.read_file": {"public": false},
	"airlock.resolve": {"public": false},
	"airlock.comment": {"public": false},
	"release.revoke": {"public": false},
	"audit.read": {"public": false},
	"audit.checkpoint": {"public": false},
	"audit.key_rotate": {"public": false},
	"lake.ingest": {"public": false},
	"optout.add": {"public": false},
	"transparency.lookup": {"public": false},
	"patient.code.issue": {"public": false},
	"patient.view": {"public": true},
	"patient.optout": {"public": true},
	"patient.optout_withdraw": {"public": true},
}

deny contains msg if {
	not actions[input.action]
	msg := sprintf("%v is not an action the policy knows", [input.action])
}

deny contains "sign in first: this action is not public" if {
	actions[input.action].public == false
	not common.signed_in
}

# Actions about a project need one; about a request, a request; about a release, a release.
deny contains "the request names no project" if {
	action_subject(input.action) in {"project", "request", "release"}
	input.action != "project.apply"
	not input.project.id
}

deny contains "the request names no release request" if {
	action_subject(input.action) == "request"
	not input.request
}

deny contains "the request names no release" if {
	action_subject(input.action) == "release"
	not input.release
	not input.request
}

action_subject(action) := "request" if startswith(action, "airlock.")

action_subject(action) := "release" if startswith(action, "release.")

action_subject(action) := "project" if {
	some prefix in {"project.", "workspace."}
	startswith(action, prefix)
}

# Each area is asked only about its own actions (the areas check the action too; this
# keeps a decision from evaluating every area's rules).
area := split(input.action, ".")[0]

deny contains msg if {
	area == "user"
	some msg in user.deny
}

deny contains msg if {
	area == "project"
	some msg in project.deny
}

deny contains msg if {
	area == "workspace"
	some msg in workspace.deny
}

deny contains msg if {
	area in {"airlock", "release"}
	some msg in airlock.deny
}

deny contains msg if {
	area == "audit"
	some msg in audit.deny
}

deny contains msg if {
	area in {"lake", "optout", "transparency"}
	some msg in lake.deny
}

deny contains msg if {
	area == "patient"
	some msg in patient.deny
}

default allow := false

allow if {
	actions[input.action]
	count(deny) == 0
}

decision := {"allow": allow, "reasons": sort(deny)}

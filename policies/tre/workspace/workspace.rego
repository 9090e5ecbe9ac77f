# Starting a project workspace.
package tre.workspace

import data.tre.common

deny contains "only the project's lead and analysts may start its workspace" if {
	input.action == "workspace.start"
	not common.works_on_project
}

deny contains msg if {
	input.action == "workspace.start"
	not common.project_active
	msg := sprintf("the project is %v, not approved", [common.project_status])
}

deny contains msg if {
	input.action == "workspace.start"
	some msg in common.permit_problems
}

deny contains "the project's extract is not provisioned yet; an admin runs tre project provision" if {
	input.action == "workspace.start"
	not common.provisioned
}

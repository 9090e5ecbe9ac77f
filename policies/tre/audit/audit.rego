# Who may read, verify and export the audit log, sign a checkpoint and rotate its key.
package tre.audit

import data.tre.common

deny contains "only an admin may read the audit log" if {
	input.action == "audit.read"
	not common.is_admin
}

deny contains "only an admin may sign an audit checkpoint" if {
	input.action == "audit.checkpoint"
	not common.is_admin
}

deny contains "only an admin may rotate the audit signing key" if {
	input.action == "audit.key_rotate"
	not common.is_admin
}

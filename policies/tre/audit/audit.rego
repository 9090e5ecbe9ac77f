# Who may read, verify and export the audit log.
package tre.audit

import data.tre.common

deny contains "only an admin may read the audit log" if {
	input.action == "audit.read"
	not common.is_admin
}

# Lake administration: ingest, opt-outs, transparency look-ups.
package tre.lake

import data.tre.common

admin_actions := {"lake.ingest", "optout.add", "transparency.lookup"}

deny contains "only an admin may ingest data, record opt-outs or look up a person's use" if {
	input.action in admin_actions
	not common.is_admin
}

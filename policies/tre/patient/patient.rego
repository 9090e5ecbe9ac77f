# Patients: one-time codes issued by data holders, and what a verified person may do.
package tre.patient

import data.tre.common

deny contains "only an admin or a data holder may issue a patient's one-time code" if {
	input.action == "patient.code.issue"
	not common.is_admin
	not "data_holder" in common.actor_roles
}

# A person sees and changes only their own use and opt-out, after proving who they are.
deny contains "prove who you are first: enter the one-time code from your data holder" if {
	input.action in {"patient.view", "patient.optout", "patient.optout_withdraw"}
	not input.patient.verified == true
}

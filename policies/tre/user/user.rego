# Accounts and global roles.
package tre.user

import data.tre.common

# The first admin: while no admin exists, a person may make themselves one.
bootstrap if {
	input.system.admin_count == 0
	input.target.username == input.actor.username
	{r | some r in input.target.roles} == {"admin"}
}

deny contains "only an admin may add users or change their roles" if {
	input.action == "user.add"
	not common.is_admin
	not bootstrap
}

deny contains msg if {
	input.action == "user.add"
	some role in input.target.roles
	not role in common.global_roles
	msg := sprintf("%v is not a role; roles are %v", [role, concat(", ", sort(common.global_roles))])
}

deny contains "only an admin may list users" if {
	input.action == "user.list"
	not common.is_admin
}

deny contains "only an admin may reset a second factor" if {
	input.action == "user.reset_2fa"
	not common.is_admin
}

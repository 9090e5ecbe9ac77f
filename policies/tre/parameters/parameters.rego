# Checks on the parameters in data.json: every tier complete, `high` stricter than `standard`.
package tre.parameters

required_keys := {
	"required_approvals", "threshold", "dominance_n", "dominance_k", "p_ratio",
	"min_residual_df", "max_file_bytes", "allowed_types",
}

problems contains msg if {
	some name, tier in data.tre.params.tiers
	some key in required_keys
	not key in object.keys(tier)
	msg := sprintf("tier %v lacks %v", [name, key])
}

problems contains msg if {
	not data.tre.params.tiers[data.tre.params.default_tier]
	msg := "the default tier is not defined"
}

stricter := {"required_approvals", "threshold", "p_ratio", "min_residual_df"}

problems contains msg if {
	some key in stricter
	data.tre.params.tiers.high[key] < data.tre.params.tiers.standard[key]
	msg := sprintf("high tier is laxer than standard on %v", [key])
}

problems contains "high tier allows a larger dominance share" if {
	data.tre.params.tiers.high.dominance_k > data.tre.params.tiers.standard.dominance_k
}

problems contains "high tier allows larger files" if {
	data.tre.params.tiers.high.max_file_bytes > data.tre.params.tiers.standard.max_file_bytes
}

problems contains "high tier allows a file type standard does not" if {
	some t in data.tre.params.tiers.high.allowed_types
	not t in data.tre.params.tiers.standard.allowed_types
}

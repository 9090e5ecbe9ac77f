# Checks on the parameters in data.json: every tier complete, its disclosure-check profile
# defined and complete, `high` at least as strict as `standard`.
package tre.parameters

tier_keys := {"required_approvals", "sdc_profile", "max_file_bytes", "allowed_types"}

profile_keys := {"source", "threshold", "dominance_n", "dominance_k", "p_ratio", "min_residual_df", "zeros"}

problems contains msg if {
	some name, tier in data.tre.params.tiers
	some key in tier_keys
	not key in object.keys(tier)
	msg := sprintf("tier %v lacks %v", [name, key])
}

problems contains msg if {
	some name, tier in data.tre.params.tiers
	not data.tre.params.sdc_profiles[tier.sdc_profile]
	msg := sprintf("tier %v names an undefined profile", [name])
}

problems contains msg if {
	some name, profile in data.tre.params.sdc_profiles
	some key in profile_keys
	not key in object.keys(profile)
	msg := sprintf("profile %v lacks %v", [name, key])
}

problems contains msg if {
	not data.tre.params.tiers[data.tre.params.default_tier]
	msg := "the default tier is not defined"
}

# A tier's value of a disclosure parameter: its own, else its profile's.
effective(tier, key) := tier[key]

effective(tier, key) := data.tre.params.sdc_profiles[tier.sdc_profile][key] if not tier[key]

stricter := {"required_approvals", "threshold", "p_ratio", "min_residual_df"}

problems contains msg if {
	some key in stricter
	effective(data.tre.params.tiers.high, key) < effective(data.tre.params.tiers.standard, key)
	msg := sprintf("high tier is laxer than standard on %v", [key])
}

problems contains "high tier allows a larger dominance share" if {
	high := effective(data.tre.params.tiers.high, "dominance_k")
	high > effective(data.tre.params.tiers.standard, "dominance_k")
}

problems contains "high tier allows larger files" if {
	data.tre.params.tiers.high.max_file_bytes > data.tre.params.tiers.standard.max_file_bytes
}

problems contains "high tier allows a file type standard does not" if {
	some t in data.tre.params.tiers.high.allowed_types
	not t in data.tre.params.tiers.standard.allowed_types
}

package tre.parameters_test

import data.tre.parameters

test_parameters_consistent if count(parameters.problems) == 0

test_standard_defaults if {
	s := data.tre.params.tiers.standard
	s.threshold == 10
	s.dominance_n == 2
	s.dominance_k == 0.9
	s.p_ratio == 0.1
	s.min_residual_df == 10
	s.max_file_bytes == 16777216
	s.required_approvals == 2
	{x | some x in s.allowed_types} == {"csv", "tsv", "txt", "md", "json", "png", "jpeg"}
}

test_missing_key_is_a_problem if {
	broken := {"default_tier": "standard", "tiers": {"standard": {"threshold": 10}, "high": data.tre.params.tiers.high}}
	problems := parameters.problems with data.tre.params as broken
	"tier standard lacks p_ratio" in problems
}

test_laxer_high_is_a_problem if {
	lax := object.union(data.tre.params, {"tiers": {"high": {"threshold": 5}}})
	problems := parameters.problems with data.tre.params as lax
	"high tier is laxer than standard on threshold" in problems
}

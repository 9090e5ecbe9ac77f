package tre.parameters_test

import data.tre.parameters

test_parameters_consistent if count(parameters.problems) == 0

test_standard_defaults if {
	s := data.tre.params.tiers.standard
	s.sdc_profile == "acro"
	parameters.effective(s, "threshold") == 10
	parameters.effective(s, "dominance_n") == 2
	parameters.effective(s, "dominance_k") == 0.9
	parameters.effective(s, "p_ratio") == 0.1
	parameters.effective(s, "min_residual_df") == 10
	s.max_file_bytes == 16777216
	s.required_approvals == 2
	{x | some x in s.allowed_types} == {"csv", "tsv", "txt", "md", "json", "png", "jpeg"}
}

test_profiles_as_their_sources if {
	p := data.tre.params.sdc_profiles
	p.opensafely.threshold == 8
	p.opensafely.rounding_base == 5
	p.ndb.threshold == 10
	p.ndb.zeros == "structural"
	p.ndb.facility_min == 3
	p.ndb.medicine_min_oral == 1000
	p.ndb.medicine_min_injection == 400
}

test_missing_key_is_a_problem if {
	broken := json.remove(data.tre.params, ["tiers/standard/sdc_profile"])
	problems := parameters.problems with data.tre.params as broken
	"tier standard lacks sdc_profile" in problems
}

test_undefined_profile_is_a_problem if {
	broken := object.union(data.tre.params, {"tiers": {"high": {"sdc_profile": "lenient"}}})
	problems := parameters.problems with data.tre.params as broken
	"tier high names an undefined profile" in problems
}

test_laxer_high_is_a_problem if {
	lax := object.union(data.tre.params, {"tiers": {"high": {"threshold": 5}}})
	problems := parameters.problems with data.tre.params as lax
	"high tier is laxer than standard on threshold" in problems
}

test_laxer_profile_for_high_is_a_problem if {
	lax := object.union(data.tre.params, {"tiers": {"high": {"sdc_profile": "opensafely"}}})
	problems := parameters.problems with data.tre.params as json.remove(lax, ["tiers/high/threshold"])
	"high tier is laxer than standard on threshold" in problems
}

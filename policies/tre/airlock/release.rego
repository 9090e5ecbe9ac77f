# Release requests: submit, review, decide, release, read a file, revoke.
#
# input.request {id, author, status, votes [{reviewer, vote}], file_reviews [{path,
# outcome, approved_by, blocked}], blocking_findings, override}; input.decision (approve |
# return | reject) for airlock.decide; input.override {reason} for airlock.override;
# input.release {status}; input.file {path, person_level} and, for a reviewer comparing a
# release with the request they review, input.reviewing {id, project, author, status} for
# airlock.read_file; input.comment {visibility} for airlock.comment.
# Votes are each reviewer's vote on the whole request in the current round ("approve" when
# every file is approved); file_reviews each file's outcome in the round (pending,
# approved, changes_requested, conflicted) and who approved it.
package tre.airlock

import data.tre.common

default request_status := "unknown"

request_status := input.request.status if is_string(input.request.status)

is_author if input.request.author == input.actor.username

# A release is a request's approved files: its state comes from input.release when
# given, otherwise from the request (released, revoked, ...).
default release_status := "unknown"

release_status := input.release.status if is_string(input.release.status)

release_status := input.request.status if {
	not input.release
	is_string(input.request.status)
}

required_approvals := common.tier_params.required_approvals

reviewers := {v.reviewer | some v in input.request.votes}

# A reviewer's vote counts only when they are independent of the request and the project.
independent(reviewer) if {
	reviewer != input.request.author
	not input.project.members[reviewer] in common.working_roles
	not sod_conflict(reviewer)
}

sod_conflict(reviewer) if {
	common.separation_of_duties
	reviewer in input.project.approvers
}

deny contains "only members who work on the project may ask for a release" if {
	input.action == "airlock.submit"
	not common.works_on_project
}

deny contains msg if {
	input.action == "airlock.submit"
	not common.project_active
	msg := sprintf("the project is %v, not approved", [common.project_status])
}

deny contains msg if {
	input.action == "airlock.submit"
	some msg in common.permit_problems
}

deny contains msg if {
	input.action == "airlock.submit"
	not request_status in {"draft", "returned"}
	msg := sprintf("only a draft or returned request can be submitted; this one is %v", [request_status])
}

deny contains "only the author may submit or resubmit a request" if {
	input.action == "airlock.submit"
	input.request.author
	not is_author
}

deny contains "only the author may withdraw a request" if {
	input.action == "airlock.withdraw"
	not is_author
}

deny contains msg if {
	input.action == "airlock.withdraw"
	not request_status in {"draft", "submitted", "in_review", "conflicted", "reviewed", "returned"}
	msg := sprintf("a %v request can no longer be withdrawn", [request_status])
}

view_refusals contains "only the author, the project's members, output checkers and admins may see a request" if {
	not is_author
	not common.is_member
	not common.is_output_checker
	not common.is_admin
}

# A draft is work in progress: output checkers see a request once it is submitted.
view_refusals contains "a draft is seen only by its author, the project's members and admins until it is submitted" if {
	request_status == "draft"
	not is_author
	not common.is_member
	not common.is_admin
}

deny contains msg if {
	input.action == "airlock.view"
	some msg in view_refusals
}

deny contains "only an output checker may review a release request" if {
	input.action == "airlock.review"
	not common.is_output_checker
}

deny contains "the author of a request never reviews it" if {
	input.action == "airlock.review"
	is_author
}

deny contains "members who work on the project may not review its outputs" if {
	input.action == "airlock.review"
	common.works_on_project
}

deny contains "with separation of duties, whoever approved the project's application may not check its outputs" if {
	input.action == "airlock.review"
	sod_conflict(input.actor.username)
}

# While reviews disagree, a further reviewer's vote may settle the files in conflict.
deny contains msg if {
	input.action == "airlock.review"
	not request_status in {"submitted", "in_review", "conflicted"}
	msg := sprintf("only a submitted request can be reviewed; this one is %v", [request_status])
}

deny contains "you have already reviewed this request in this round" if {
	input.action == "airlock.review"
	input.actor.username in reviewers
}

deny contains "only an output checker or an admin may decide a request" if {
	input.action == "airlock.decide"
	not common.is_output_checker
	not common.is_admin
}

deny contains "the author of a request never decides it" if {
	input.action == "airlock.decide"
	is_author
}

deny contains msg if {
	input.action == "airlock.decide"
	not input.decision in {"approve", "return", "reject"}
	msg := sprintf("%v is not a decision; use approve, return or reject", [input.decision])
}

deny contains msg if {
	input.action == "airlock.decide"
	input.decision == "approve"
	request_status != "reviewed"
	msg := sprintf("only a fully reviewed request can be approved; this one is %v", [request_status])
}

deny contains msg if {
	input.action == "airlock.decide"
	input.decision in {"return", "reject"}
	not request_status in {"submitted", "in_review", "conflicted", "reviewed"}
	msg := sprintf("a %v request cannot be returned or rejected", [request_status])
}

# Approving takes every file of the round approved by its reviews (their votes agree, or a
# conflict was settled), each by enough reviewers independent of the request.
independent_file_approvals(r) := count({a | some a in r.approved_by; independent(a)})

unapproved_files contains r.path if {
	some r in input.request.file_reviews
	r.outcome != "approved"
}

under_approved_files contains r.path if {
	some r in input.request.file_reviews
	independent_file_approvals(r) < required_approvals
}

deny contains "the request's reviews are missing" if {
	input.action == "airlock.decide"
	input.decision == "approve"
	not is_array(input.request.file_reviews)
}

deny contains msg if {
	input.action == "airlock.decide"
	input.decision == "approve"
	count(unapproved_files) > 0
	msg := sprintf("%d of the request's files are not approved by their reviews", [count(unapproved_files)])
}

deny contains msg if {
	input.action == "airlock.decide"
	input.decision == "approve"
	count(under_approved_files) > 0
	msg := sprintf(
		"approval needs %d independent approvals of each file for this tier; %d files have fewer",
		[required_approvals, count(under_approved_files)],
	)
}

deny contains "an automated check blocks release; an admin must first record an override with a reason" if {
	input.action == "airlock.decide"
	input.decision == "approve"
	input.request.blocking_findings > 0
	not input.request.override == true
}

# A reviewer changes their vote on a file in conflict after discussing it (a note is kept).
deny contains "only an output checker independent of the request may change a vote on it" if {
	input.action == "airlock.resolve"
	not reviewing_checker
}

deny contains msg if {
	input.action == "airlock.resolve"
	request_status != "conflicted"
	msg := sprintf("votes are changed only while reviews disagree; this request is %v", [request_status])
}

# Comments: the author on their request, the checkers reviewing it, admins; private
# comments (never shown to the author) only by checkers and admins.
deny contains "only the author, the output checkers reviewing it and admins may comment on a request" if {
	input.action == "airlock.comment"
	not is_author
	not reviewing_checker
	not common.is_admin
}

deny contains "only output checkers and admins write private comments" if {
	input.action == "airlock.comment"
	input.comment.visibility == "private"
	not reviewing_checker
	not common.is_admin
}

deny contains msg if {
	input.action == "airlock.comment"
	not request_status in {"draft", "returned", "submitted", "in_review", "conflicted", "reviewed"}
	msg := sprintf("a %v request takes no more comments", [request_status])
}

deny contains "only an admin may override an automated check" if {
	input.action == "airlock.override"
	not common.is_admin
}

deny contains "an override needs a reason" if {
	input.action == "airlock.override"
	not valid_reason
}

valid_reason if trim_space(input.override.reason) != ""

deny contains "the author of a request may not override its checks" if {
	input.action == "airlock.override"
	is_author
}

deny contains "only an output checker or an admin may release files" if {
	input.action == "airlock.release"
	not common.is_output_checker
	not common.is_admin
}

deny contains msg if {
	input.action == "airlock.release"
	request_status != "approved"
	msg := sprintf("only an approved request can be released; this one is %v", [request_status])
}

deny contains msg if {
	input.action == "airlock.release"
	common.project_status == "revoked"
	msg := "the project has been revoked"
}

deny contains "only an output checker or an admin may revoke a release" if {
	input.action == "release.revoke"
	not common.is_output_checker
	not common.is_admin
}

deny contains msg if {
	input.action == "release.revoke"
	not release_status in {"approved", "released"}
	msg := sprintf("only an approved or released request can be revoked; this one is %v", [release_status])
}

# The bytes of a request's files (shown on screen, as an image, or downloaded) go to two
# kinds of people only: the output checkers reviewing the request, while it is under
# review; and, once it is released, the project's lead and analysts. Everyone else who may
# see the request sees names, sizes, hashes and findings. A file whose checks found
# person-level data is shown to no one until an admin has recorded an override.
review_states := {"submitted", "in_review", "conflicted", "reviewed"}

# An output checker independent of a request by `author`: neither its author, nor working
# on the project, nor (with separation of duties) an approver of its application.
independent_checker(author) if {
	common.is_output_checker
	input.actor.username != author
	not common.works_on_project
	not sod_conflict(input.actor.username)
}

reviewing_checker if independent_checker(input.request.author)

# The output checkers reviewing a request of the project may read the project's released
# files beside it, to judge differencing against what has already left.
comparing if {
	request_status == "released"
	is_object(input.reviewing)
	input.reviewing.project == input.project.id
	input.reviewing.status in review_states
	independent_checker(input.reviewing.author)
}

person_level_withheld if {
	input.file.person_level == true
	not input.request.override == true
}

file_readable if {
	request_status in review_states
	reviewing_checker
	not person_level_withheld
	common.project_status != "revoked"
}

file_readable if {
	request_status == "released"
	common.works_on_project
	common.project_status != "revoked"
}

file_readable if {
	comparing
	common.project_status != "revoked"
}

read_file_refusals contains "the request names no file" if not is_string(input.file.path)

read_file_refusals contains msg if {
	request_status in {"draft", "returned"}
	msg := sprintf("a %v request's files stay in the workspace: their content is shown to no one else", [request_status])
}

read_file_refusals contains msg if {
	request_status in {"withdrawn", "rejected", "revoked"}
	msg := sprintf("a %v request's files are shown to no one", [request_status])
}

read_file_refusals contains "an approved request's files can be read once they are released" if {
	request_status == "approved"
}

read_file_refusals contains "only the output checkers reviewing a request see its files' content" if {
	request_status in review_states
	not reviewing_checker
}

read_file_refusals contains "the file holds person-level data: its content is shown to no one unless an admin records an override" if {
	request_status in review_states
	person_level_withheld
}

read_file_refusals contains "only the project's lead and analysts may download its releases" if {
	request_status == "released"
	not common.works_on_project
	not comparing
}

read_file_refusals contains "only the output checkers reviewing a request of the project may compare it with the project's releases" if {
	is_object(input.reviewing)
	not comparing
}

read_file_refusals contains "the project has been revoked" if common.project_status == "revoked"

# Whoever may not see the request is told only that, not what state it is in.
deny contains msg if {
	input.action == "airlock.read_file"
	some msg in view_refusals
}

deny contains msg if {
	input.action == "airlock.read_file"
	count(view_refusals) == 0
	some msg in read_file_refusals
}

# Allow-listed: a state or role no refusal above names still reads nothing.
deny contains msg if {
	input.action == "airlock.read_file"
	not file_readable
	count(view_refusals) == 0
	count(read_file_refusals) == 0
	msg := sprintf("a %v request serves no files", [request_status])
}

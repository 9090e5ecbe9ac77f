package tre.airlock_test

import data.tre.testing as t

vote(reviewer, v) := {"reviewer": reviewer, "vote": v}

# One file reviewed by `votes`: approved when every vote approves, else in conflict.
file_review(votes) := {
	"path": "counts.csv",
	"outcome": outcome_of(votes),
	"approved_by": [v.reviewer | some v in votes; v.vote == "approve"],
	"blocked": false,
}

outcome_of(votes) := "approved" if {
	count(votes) > 0
	every v in votes {
		v.vote == "approve"
	}
} else := "conflicted"

request(status, votes) := {
	"id": "r-1", "author": "ana", "status": status, "votes": votes, "blocking_findings": 0,
	"file_reviews": [file_review(votes)],
}

draft := request("draft", [])

on_request(action, actor, req) := t.with_fields(action, actor, {"request": req})

two_approvals := [vote("chk", "approve"), vote("chk2", "approve")]

submit_cases := [
	{"name": "analyst submits draft", "input": on_request("airlock.submit", t.analyst, draft), "allow": true},
	{"name": "author resubmits returned", "input": on_request("airlock.submit", t.analyst, request("returned", [])), "allow": true},
	{"name": "lead submits own draft", "input": on_request("airlock.submit", t.lead, object.union(draft, {"author": "lena"})), "allow": true},
	{"name": "new request without author yet", "input": on_request("airlock.submit", t.lead, {"status": "draft"}), "allow": true},
	{"name": "outsider cannot submit", "input": on_request("airlock.submit", t.outsider, object.union(draft, {"author": "otto"})), "allow": false, "reason": "only members who work on the project"},
	{"name": "member checker cannot submit", "input": on_request("airlock.submit", t.member_checker, object.union(draft, {"author": "cora"})), "allow": false, "reason": "only members who work"},
	{"name": "admin who is not a member cannot submit", "input": on_request("airlock.submit", t.admin, object.union(draft, {"author": "ada"})), "allow": false, "reason": "only members who work"},
	{"name": "colleague cannot submit someone else's request", "input": on_request("airlock.submit", t.lead, draft), "allow": false, "reason": "only the author"},
	{"name": "already submitted", "input": on_request("airlock.submit", t.analyst, request("submitted", [])), "allow": false, "reason": "only a draft or returned"},
	{"name": "released cannot be resubmitted", "input": on_request("airlock.submit", t.analyst, request("released", [])), "allow": false, "reason": "only a draft or returned"},
	{"name": "revoked project", "input": object.union(on_request("airlock.submit", t.analyst, draft), {"project": {"status": "revoked"}}), "allow": false, "reason": "not approved"},
	{"name": "expired permit", "input": object.union(on_request("airlock.submit", t.analyst, draft), {"today": "2027-03-01"}), "allow": false, "reason": "expired"},
	{"name": "revoked permit", "input": object.union(on_request("airlock.submit", t.analyst, draft), {"permit": {"revoked": true}}), "allow": false, "reason": "revoked"},
	{"name": "no request given", "input": t.on_project("airlock.submit", t.analyst), "allow": false, "reason": "names no release request"},
]

test_submit if count(t.failures(submit_cases)) == 0

submitted := request("submitted", [])

review_cases := [
	{"name": "global checker reviews submitted", "input": on_request("airlock.review", t.checker, submitted), "allow": true},
	{"name": "global checker reviews in review", "input": on_request("airlock.review", t.checker2, request("in_review", [vote("chk", "approve")])), "allow": true},
	{"name": "member checker reviews", "input": on_request("airlock.review", t.member_checker, submitted), "allow": true},
	{"name": "analyst cannot review", "input": on_request("airlock.review", t.outsider, submitted), "allow": false, "reason": "only an output checker"},
	{"name": "admin is not a checker", "input": on_request("airlock.review", t.admin, submitted), "allow": false, "reason": "only an output checker"},
	{"name": "author never reviews", "input": on_request("airlock.review", t.user("ana", ["output_checker"]), submitted), "allow": false, "reason": "author of a request never reviews"},
	{"name": "project lead with checker role", "input": on_request("airlock.review", t.user("lena", ["output_checker"]), submitted), "allow": false, "reason": "work on the project"},
	{"name": "sod: approver as checker", "input": on_request("airlock.review", t.user("appy", ["output_checker", "approver"]), submitted), "allow": false, "reason": "separation of duties"},
	{"name": "sod off: approver may check", "input": object.union(on_request("airlock.review", t.user("appy", ["output_checker", "approver"]), submitted), {"settings": {"separation_of_duties": false}}), "allow": true},
	{"name": "second vote by same reviewer", "input": on_request("airlock.review", t.checker, request("in_review", [vote("chk", "approve")])), "allow": false, "reason": "already reviewed"},
	{"name": "draft cannot be reviewed", "input": on_request("airlock.review", t.checker, draft), "allow": false, "reason": "only a submitted request"},
	{"name": "approved cannot be reviewed", "input": on_request("airlock.review", t.checker, request("approved", two_approvals)), "allow": false, "reason": "only a submitted request"},
	{"name": "returned cannot be reviewed", "input": on_request("airlock.review", t.checker, request("returned", [])), "allow": false, "reason": "only a submitted request"},
	{"name": "a third reviewer settles a conflict", "input": on_request("airlock.review", t.checker3, request("conflicted", [vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": true},
	{"name": "a first reviewer does not vote again on a conflict", "input": on_request("airlock.review", t.checker, request("conflicted", [vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": false, "reason": "already reviewed"},
	{"name": "reviewed cannot be reviewed again", "input": on_request("airlock.review", t.checker3, reviewed(two_approvals)), "allow": false, "reason": "only a submitted request"},
]

test_review if count(t.failures(review_cases)) == 0

decide(actor, decision, req) := object.union(on_request("airlock.decide", actor, req), {"decision": decision})

reviewed(votes) := request("reviewed", votes)

high := {"project": {"tier": "high"}}

decide_cases := [
	{"name": "two independent approvals", "input": decide(t.checker, "approve", reviewed(two_approvals)), "allow": true},
	{"name": "admin decides with two approvals", "input": decide(t.admin, "approve", reviewed(two_approvals)), "allow": true},
	{"name": "one approval is not enough", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve")])), "allow": false, "reason": "needs 2 independent approvals"},
	{"name": "approval and changes requested", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": false, "reason": "not approved by their reviews"},
	{"name": "duplicate votes count once", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("chk", "approve")])), "allow": false, "reason": "1 files have fewer"},
	{"name": "author's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("ana", "approve")])), "allow": false, "reason": "1 files have fewer"},
	{"name": "colleague's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("lena", "approve")])), "allow": false, "reason": "1 files have fewer"},
	{"name": "sod: application approver's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("appy", "approve")])), "allow": false, "reason": "1 files have fewer"},
	{"name": "sod off: application approver's vote counts", "input": object.union(decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("appy", "approve")])), {"settings": {"separation_of_duties": false}}), "allow": true},
	{"name": "high tier needs three", "input": object.union(decide(t.checker, "approve", reviewed(two_approvals)), high), "allow": false, "reason": "needs 3 independent approvals"},
	{"name": "a conflict settled by a third reviewer", "input": decide(t.checker, "approve", t.replace(reviewed(two_approvals), "file_reviews", [{"path": "counts.csv", "outcome": "approved", "approved_by": ["chk", "chk3"], "blocked": false}])), "allow": true},
	{"name": "a file in conflict", "input": decide(t.checker, "approve", request("conflicted", [vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": false, "reason": "not approved by their reviews"},
	{"name": "one file of two approved", "input": decide(t.checker, "approve", t.replace(reviewed(two_approvals), "file_reviews", [file_review(two_approvals), {"path": "b.csv", "outcome": "changes_requested", "approved_by": [], "blocked": false}])), "allow": false, "reason": "1 of the request's files are not approved"},
	{"name": "no file reviews given", "input": decide(t.checker, "approve", object.remove(reviewed(two_approvals), ["file_reviews"])), "allow": false, "reason": "reviews are missing"},
	{"name": "return while reviews disagree", "input": decide(t.checker, "return", request("conflicted", [vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": true},
	{"name": "high tier with three", "input": object.union(decide(t.checker, "approve", reviewed(array.concat(two_approvals, [vote("chk3", "approve")]))), high), "allow": true},
	{"name": "unknown tier falls back to standard", "input": object.union(decide(t.checker, "approve", reviewed(two_approvals)), {"project": {"tier": "nonsense"}}), "allow": true},
	{"name": "blocking finding without override", "input": decide(t.checker, "approve", object.union(reviewed(two_approvals), {"blocking_findings": 1})), "allow": false, "reason": "automated check blocks"},
	{"name": "blocking finding with override", "input": decide(t.checker, "approve", object.union(reviewed(two_approvals), {"blocking_findings": 1, "override": true})), "allow": true},
	{"name": "in review cannot be approved", "input": decide(t.checker, "approve", request("in_review", two_approvals)), "allow": false, "reason": "fully reviewed"},
	{"name": "return while in review", "input": decide(t.checker, "return", request("in_review", [vote("chk", "changes_requested")])), "allow": true},
	{"name": "reject reviewed", "input": decide(t.checker, "reject", reviewed(two_approvals)), "allow": true},
	{"name": "cannot reject released", "input": decide(t.checker, "reject", request("released", two_approvals)), "allow": false, "reason": "cannot be returned or rejected"},
	{"name": "unknown decision", "input": decide(t.checker, "maybe", reviewed(two_approvals)), "allow": false, "reason": "not a decision"},
	{"name": "author never decides", "input": decide(t.user("ana", ["output_checker"]), "approve", reviewed(two_approvals)), "allow": false, "reason": "never decides"},
	{"name": "analyst cannot decide", "input": decide(t.outsider, "approve", reviewed(two_approvals)), "allow": false, "reason": "only an output checker or an admin"},
]

test_decide if count(t.failures(decide_cases)) == 0

override(actor, reason) := object.union(on_request("airlock.override", actor, reviewed(two_approvals)), {"override": {"reason": reason}})

other_cases := [
	{"name": "admin overrides with reason", "input": override(t.admin, "aggregate of a published table"), "allow": true},
	{"name": "override needs reason", "input": override(t.admin, "   "), "allow": false, "reason": "needs a reason"},
	{"name": "override without reason field", "input": on_request("airlock.override", t.admin, submitted), "allow": false, "reason": "needs a reason"},
	{"name": "checker cannot override", "input": override(t.checker, "fine"), "allow": false, "reason": "only an admin"},
	{"name": "author admin cannot override", "input": override(t.user("ana", ["admin"]), "fine"), "allow": false, "reason": "author of a request may not override"},
	{"name": "author withdraws submitted", "input": on_request("airlock.withdraw", t.analyst, submitted), "allow": true},
	{"name": "colleague cannot withdraw", "input": on_request("airlock.withdraw", t.lead, submitted), "allow": false, "reason": "only the author"},
	{"name": "released cannot be withdrawn", "input": on_request("airlock.withdraw", t.analyst, request("released", [])), "allow": false, "reason": "no longer be withdrawn"},
	{"name": "author views", "input": on_request("airlock.view", t.analyst, submitted), "allow": true},
	{"name": "checker views", "input": on_request("airlock.view", t.checker, submitted), "allow": true},
	{"name": "outsider cannot view", "input": on_request("airlock.view", t.outsider, submitted), "allow": false, "reason": "only the author"},
	{"name": "author views own draft", "input": on_request("airlock.view", t.analyst, draft), "allow": true},
	{"name": "colleague views a draft of the project", "input": on_request("airlock.view", t.lead, draft), "allow": true},
	{"name": "checker cannot view another's draft", "input": on_request("airlock.view", t.checker, draft), "allow": false, "reason": "a draft is seen only"},
	{"name": "admin views a draft", "input": on_request("airlock.view", t.admin, draft), "allow": true},
	{"name": "checker releases approved", "input": on_request("airlock.release", t.checker, request("approved", two_approvals)), "allow": true},
	{"name": "admin releases approved", "input": on_request("airlock.release", t.admin, request("approved", two_approvals)), "allow": true},
	{"name": "analyst cannot release", "input": on_request("airlock.release", t.analyst, request("approved", two_approvals)), "allow": false, "reason": "only an output checker or an admin"},
	{"name": "reviewed is not yet approved", "input": on_request("airlock.release", t.checker, reviewed(two_approvals)), "allow": false, "reason": "only an approved request"},
	{"name": "revoked project releases nothing", "input": object.union(on_request("airlock.release", t.checker, request("approved", two_approvals)), {"project": {"status": "revoked"}}), "allow": false, "reason": "has been revoked"},
]

test_other if count(t.failures(other_cases)) == 0

conflict := request("conflicted", [vote("chk", "approve"), vote("chk2", "changes_requested")])

comment(actor, visibility, req) := object.union(on_request("airlock.comment", actor, req), {"comment": {"visibility": visibility}})

discussion_cases := [
	{"name": "a reviewer changes a vote while reviews disagree", "input": on_request("airlock.resolve", t.checker2, conflict), "allow": true},
	{"name": "no vote changes once reviews agree", "input": on_request("airlock.resolve", t.checker, reviewed(two_approvals)), "allow": false, "reason": "only while reviews disagree"},
	{"name": "the author changes no vote", "input": on_request("airlock.resolve", t.user("ana", ["output_checker"]), conflict), "allow": false, "reason": "independent of the request"},
	{"name": "an analyst changes no vote", "input": on_request("airlock.resolve", t.outsider, conflict), "allow": false, "reason": "independent of the request"},
	{"name": "the author comments on a draft", "input": comment(t.analyst, "public", draft), "allow": true},
	{"name": "the author answers in review", "input": comment(t.analyst, "public", submitted), "allow": true},
	{"name": "the author writes no private comment", "input": comment(t.analyst, "private", submitted), "allow": false, "reason": "only output checkers and admins write private"},
	{"name": "a checker comments privately", "input": comment(t.checker, "private", submitted), "allow": true},
	{"name": "a colleague does not comment", "input": comment(t.lead, "public", submitted), "allow": false, "reason": "only the author, the output checkers"},
	{"name": "an outsider does not comment", "input": comment(t.outsider, "public", submitted), "allow": false, "reason": "only the author, the output checkers"},
	{"name": "a released request takes no comments", "input": comment(t.checker, "public", request("released", two_approvals)), "allow": false, "reason": "takes no more comments"},
	{"name": "the author withdraws while reviews disagree", "input": on_request("airlock.withdraw", t.analyst, conflict), "allow": true},
]

test_discussion if count(t.failures(discussion_cases)) == 0

revoke(actor, status) := t.with_fields("release.revoke", actor, {"release": {"id": "r-1", "status": status}})

revoke_cases := [
	{"name": "checker revokes release", "input": revoke(t.checker, "released"), "allow": true},
	{"name": "analyst cannot revoke release", "input": revoke(t.analyst, "released"), "allow": false, "reason": "only an output checker"},
	{"name": "revoked release cannot be revoked again", "input": revoke(t.admin, "revoked"), "allow": false, "reason": "only an approved or released"},
	{"name": "approved request revoked before release", "input": on_request("release.revoke", t.admin, request("approved", two_approvals)), "allow": true},
	{"name": "draft request cannot be revoked", "input": on_request("release.revoke", t.checker, draft), "allow": false, "reason": "only an approved or released"},
	{"name": "no release given", "input": t.on_project("release.revoke", t.checker), "allow": false, "reason": "names no release"},
]

test_revoke if count(t.failures(revoke_cases)) == 0

# Reading a request file's bytes, for every state and every kind of person. The table is
# the rule itself: who may read, in which state; everyone else is refused.
read_file(actor, status, file) := object.union(on_request("airlock.read_file", actor, request(status, two_approvals)), {"file": file})

a_table := {"path": "counts.csv", "person_level": false}

person_level := {"path": "people.csv", "person_level": true}

readers := {
	"checker": t.checker,
	"member checker": t.member_checker,
	"author": t.analyst,
	"co-member": t.lead,
	"admin": t.admin,
	"other project's member": t.outsider,
	"approver of the application": t.user("appy", ["output_checker", "approver"]),
	"anonymous": {"username": "", "roles": [], "known": false},
}

may_read := {
	"draft": set(),
	"submitted": {"checker", "member checker"},
	"in_review": {"checker", "member checker"},
	"conflicted": {"checker", "member checker"},
	"reviewed": {"checker", "member checker"},
	"returned": set(),
	"approved": set(),
	"released": {"author", "co-member"},
	"withdrawn": set(),
	"rejected": set(),
	"revoked": set(),
}

read_matrix_cases := [c |
	some status, allowed in may_read
	some who, actor in readers
	c := {
		"name": sprintf("%v reads a file of a %v request", [who, status]),
		"input": read_file(actor, status, a_table),
		"allow": who in allowed,
	}
]

test_read_matrix if {
	count(read_matrix_cases) == 88
	count(t.failures(read_matrix_cases)) == 0
}

read_cases := [
	{"name": "author of a draft", "input": read_file(t.analyst, "draft", a_table), "allow": false, "reason": "stay in the workspace"},
	{"name": "co-member of a returned request", "input": read_file(t.lead, "returned", a_table), "allow": false, "reason": "stay in the workspace"},
	{"name": "author while in review", "input": read_file(t.analyst, "in_review", a_table), "allow": false, "reason": "only the output checkers reviewing"},
	{"name": "author who is a checker", "input": read_file(t.user("ana", ["analyst", "output_checker"]), "in_review", a_table), "allow": false, "reason": "only the output checkers reviewing"},
	{"name": "admin while in review", "input": read_file(t.admin, "reviewed", a_table), "allow": false, "reason": "only the output checkers reviewing"},
	{"name": "checker of a withdrawn request", "input": read_file(t.checker, "withdrawn", a_table), "allow": false, "reason": "withdrawn request's files are shown to no one"},
	{"name": "checker of a rejected request", "input": read_file(t.checker, "rejected", a_table), "allow": false, "reason": "rejected request's files are shown to no one"},
	{"name": "author of a revoked release", "input": read_file(t.analyst, "revoked", a_table), "allow": false, "reason": "revoked request's files are shown to no one"},
	{"name": "author of an approved, unreleased request", "input": read_file(t.analyst, "approved", a_table), "allow": false, "reason": "once they are released"},
	{"name": "checker after release", "input": read_file(t.checker, "released", a_table), "allow": false, "reason": "only the project's lead and analysts"},
	{"name": "person-level file withheld from the checker", "input": read_file(t.checker, "in_review", person_level), "allow": false, "reason": "person-level data"},
	{"name": "person-level file shown after an override", "input": object.union(read_file(t.checker, "reviewed", person_level), {"request": {"override": true}}), "allow": true},
	{"name": "released person-level file (overridden and approved)", "input": read_file(t.analyst, "released", person_level), "allow": true},
	{"name": "sod off: application approver reviews", "input": object.union(read_file(t.user("appy", ["output_checker", "approver"]), "in_review", a_table), {"settings": {"separation_of_duties": false}}), "allow": true},
	{"name": "revoked project: checker", "input": object.union(read_file(t.checker, "in_review", a_table), {"project": {"status": "revoked"}}), "allow": false, "reason": "has been revoked"},
	{"name": "revoked project: member", "input": object.union(read_file(t.analyst, "released", a_table), {"project": {"status": "revoked"}}), "allow": false, "reason": "has been revoked"},
	{"name": "no file named", "input": on_request("airlock.read_file", t.checker, submitted), "allow": false, "reason": "names no file"},
	{"name": "unknown state", "input": read_file(t.checker, "archived", a_table), "allow": false, "reason": "archived request serves no files"},
	{"name": "no request", "input": object.union(t.on_project("airlock.read_file", t.checker), {"file": a_table}), "allow": false, "reason": "names no release request"},
	{"name": "anonymous", "input": read_file({"username": "", "roles": [], "known": false}, "released", a_table), "allow": false, "reason": "sign in first"},
	{"name": "outsider learns nothing of the state", "input": read_file(t.outsider, "draft", a_table), "allow": false, "reason": "only the author, the project's members"},
	{"name": "checker of another project's draft", "input": read_file(t.checker, "draft", a_table), "allow": false, "reason": "a draft is seen only"},
]

test_outsider_is_told_only_that_the_request_is_not_theirs if {
	d := data.tre.authz.decision with input as read_file(t.outsider, "in_review", a_table)
	d.reasons == ["only the author, the project's members, output checkers and admins may see a request"]
}

test_read_file if count(t.failures(read_cases)) == 0

# A reviewer reads the project's earlier releases beside the request under review.
reviewing(status, author, project) := {"id": "r-2", "status": status, "author": author, "project": project}

compare(actor, for_review) := object.union(read_file(actor, "released", a_table), {"reviewing": for_review})

compare_cases := [
	{"name": "reviewer compares with a release", "input": compare(t.checker, reviewing("in_review", "ana", "p-1")), "allow": true},
	{"name": "reviewer compares while reviews disagree", "input": compare(t.checker, reviewing("conflicted", "ana", "p-1")), "allow": true},
	{"name": "no comparing once the review is over", "input": compare(t.checker, reviewing("returned", "ana", "p-1")), "allow": false, "reason": "may compare"},
	{"name": "no comparing with another project's release", "input": compare(t.checker, reviewing("in_review", "ana", "p-9")), "allow": false, "reason": "may compare"},
	{"name": "the author of the request does not compare", "input": compare(t.user("otto", ["output_checker"]), reviewing("in_review", "otto", "p-1")), "allow": false, "reason": "may compare"},
	{"name": "an admin who is no checker does not compare", "input": compare(t.admin, reviewing("in_review", "ana", "p-1")), "allow": false, "reason": "may compare"},
	{"name": "nothing unreleased is compared", "input": object.union(read_file(t.checker, "rejected", a_table), {"reviewing": reviewing("in_review", "ana", "p-1")}), "allow": false, "reason": "shown to no one"},
	{"name": "a revoked project compares nothing", "input": object.union(compare(t.checker, reviewing("in_review", "ana", "p-1")), {"project": {"status": "revoked"}}), "allow": false, "reason": "has been revoked"},
]

test_compare if count(t.failures(compare_cases)) == 0

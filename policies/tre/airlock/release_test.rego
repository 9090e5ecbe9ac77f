package tre.airlock_test

import data.tre.testing as t

vote(reviewer, v) := {"reviewer": reviewer, "vote": v}

request(status, votes) := {"id": "r-1", "author": "ana", "status": status, "votes": votes, "blocking_findings": 0}

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
]

test_review if count(t.failures(review_cases)) == 0

decide(actor, decision, req) := object.union(on_request("airlock.decide", actor, req), {"decision": decision})

reviewed(votes) := request("reviewed", votes)

high := {"project": {"tier": "high"}}

decide_cases := [
	{"name": "two independent approvals", "input": decide(t.checker, "approve", reviewed(two_approvals)), "allow": true},
	{"name": "admin decides with two approvals", "input": decide(t.admin, "approve", reviewed(two_approvals)), "allow": true},
	{"name": "one approval is not enough", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve")])), "allow": false, "reason": "needs 2 independent approvals"},
	{"name": "approval and changes requested", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("chk2", "changes_requested")])), "allow": false, "reason": "has 1"},
	{"name": "duplicate votes count once", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("chk", "approve")])), "allow": false, "reason": "has 1"},
	{"name": "author's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("ana", "approve")])), "allow": false, "reason": "has 1"},
	{"name": "colleague's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("lena", "approve")])), "allow": false, "reason": "has 1"},
	{"name": "sod: application approver's vote does not count", "input": decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("appy", "approve")])), "allow": false, "reason": "has 1"},
	{"name": "sod off: application approver's vote counts", "input": object.union(decide(t.checker, "approve", reviewed([vote("chk", "approve"), vote("appy", "approve")])), {"settings": {"separation_of_duties": false}}), "allow": true},
	{"name": "high tier needs three", "input": object.union(decide(t.checker, "approve", reviewed(two_approvals)), high), "allow": false, "reason": "needs 3 independent approvals"},
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

download(actor, status, extra) := object.union(t.with_fields("release.download", actor, {"release": {"id": "r-1", "status": status}}), extra)

download_cases := [
	{"name": "analyst downloads released", "input": download(t.analyst, "released", {}), "allow": true},
	{"name": "lead downloads released", "input": download(t.lead, "released", {}), "allow": true},
	{"name": "outsider cannot download", "input": download(t.outsider, "released", {}), "allow": false, "reason": "only the project's lead and analysts"},
	{"name": "checker cannot download", "input": download(t.checker, "released", {}), "allow": false, "reason": "only the project's lead"},
	{"name": "admin cannot download", "input": download(t.admin, "released", {}), "allow": false, "reason": "only the project's lead"},
	{"name": "revoked release", "input": download(t.analyst, "revoked", {}), "allow": false, "reason": "only released files"},
	{"name": "revoked project", "input": download(t.analyst, "released", {"project": {"status": "revoked"}}), "allow": false, "reason": "has been revoked"},
	{"name": "release without status", "input": t.with_fields("release.download", t.analyst, {"release": {"id": "r-1"}}), "allow": false, "reason": "only released files"},
	{"name": "no release given", "input": t.on_project("release.download", t.analyst), "allow": false, "reason": "names no release"},
	{"name": "checker revokes release", "input": download(t.checker, "released", {"action": "release.revoke"}), "allow": true},
	{"name": "analyst cannot revoke release", "input": download(t.analyst, "released", {"action": "release.revoke"}), "allow": false, "reason": "only an output checker"},
	{"name": "revoked release cannot be revoked again", "input": download(t.admin, "revoked", {"action": "release.revoke"}), "allow": false, "reason": "only an approved or released"},
	{"name": "approved request revoked before release", "input": on_request("release.revoke", t.admin, request("approved", two_approvals)), "allow": true},
	{"name": "draft request cannot be revoked", "input": on_request("release.revoke", t.checker, draft), "allow": false, "reason": "only an approved or released"},
	{"name": "download via released request", "input": on_request("release.download", t.analyst, request("released", two_approvals)), "allow": true},
	{"name": "download via revoked request", "input": on_request("release.download", t.analyst, request("revoked", two_approvals)), "allow": false, "reason": "this release is revoked"},
	{"name": "download via approved, unreleased request", "input": on_request("release.download", t.analyst, request("approved", two_approvals)), "allow": false, "reason": "only released files"},
]

test_download if count(t.failures(download_cases)) == 0

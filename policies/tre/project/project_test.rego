package tre.project_test

import data.tre.testing as t

sub := t.submitted_project

# A decision with reasons given and a permit granting what was applied for.
terms := object.union(t.permit, {"requested": t.permit.grant, "tier": "standard", "required_tier": "standard"})

decide(action, actor, project) := t.with_fields(action, actor, {"project": project, "text": "reasons given", "permit": terms})

apply_cases := [
	{"name": "known analyst applies", "input": {"action": "project.apply", "actor": t.outsider}, "allow": true},
	{"name": "known admin applies", "input": {"action": "project.apply", "actor": t.admin}, "allow": true},
	{"name": "user without account", "input": {"action": "project.apply", "actor": t.stranger}, "allow": false, "reason": "need an account"},
	{"name": "anonymous", "input": {"action": "project.apply"}, "allow": false, "reason": "sign in"},
	{"name": "empty username", "input": {"action": "project.apply", "actor": {"username": "", "roles": ["admin"], "known": true}}, "allow": false, "reason": "sign in"},
]

test_apply if count(t.failures(apply_cases)) == 0

view_cases := [
	{"name": "admin sees", "input": t.on_project("project.view", t.admin), "allow": true},
	{"name": "approver sees", "input": t.on_project("project.view", t.approver), "allow": true},
	{"name": "global checker sees", "input": t.on_project("project.view", t.checker), "allow": true},
	{"name": "lead sees", "input": t.on_project("project.view", t.lead), "allow": true},
	{"name": "analyst member sees", "input": t.on_project("project.view", t.analyst), "allow": true},
	{"name": "member checker sees", "input": t.on_project("project.view", t.member_checker), "allow": true},
	{"name": "outsider does not", "input": t.on_project("project.view", t.outsider), "allow": false, "reason": "only project members"},
	{"name": "no project given", "input": {"action": "project.view", "actor": t.admin}, "allow": false, "reason": "names no project"},
]

test_view if count(t.failures(view_cases)) == 0

decision_cases := [
	{"name": "approver approves submitted", "input": decide("project.approve", t.approver, sub), "allow": true},
	{"name": "admin approves submitted", "input": decide("project.approve", t.admin, sub), "allow": true},
	{"name": "approver rejects submitted", "input": decide("project.reject", t.approver, sub), "allow": true},
	{"name": "analyst cannot approve", "input": decide("project.approve", t.outsider, sub), "allow": false, "reason": "only an approver"},
	{"name": "checker cannot approve", "input": decide("project.approve", t.checker, sub), "allow": false, "reason": "only an approver"},
	{"name": "checker cannot reject", "input": decide("project.reject", t.checker, sub), "allow": false, "reason": "only an approver"},
	{"name": "applicant approver cannot approve own", "input": decide("project.approve", t.user("lena", ["approver"]), sub), "allow": false, "reason": "applicant or member"},
	{"name": "member approver cannot approve", "input": decide("project.approve", t.user("ana", ["approver"]), sub), "allow": false, "reason": "applicant or member"},
	{"name": "member admin cannot reject", "input": decide("project.reject", t.user("cora", ["admin"]), sub), "allow": false, "reason": "applicant or member"},
	{"name": "approved cannot be approved again", "input": decide("project.approve", t.approver, t.project), "allow": false, "reason": "only a submitted application"},
	{"name": "rejected cannot be approved", "input": decide("project.approve", t.approver, object.union(sub, {"status": "rejected"})), "allow": false, "reason": "is rejected"},
	{"name": "revoked cannot be rejected", "input": decide("project.reject", t.approver, object.union(sub, {"status": "revoked"})), "allow": false, "reason": "is revoked"},
	{"name": "permit ending before start", "input": object.union(decide("project.approve", t.approver, sub), {"permit": {"grant": {"a.b": ["c"]}, "valid_from": "2025-01-01", "valid_to": "2024-01-01"}}), "allow": false, "reason": "end after it starts"},
	{"name": "permit ending the day it starts", "input": object.union(decide("project.approve", t.approver, sub), {"permit": {"grant": {"a.b": ["c"]}, "valid_from": "2025-01-01", "valid_to": "2025-01-01"}}), "allow": false, "reason": "end after it starts"},
	{"name": "permit granting nothing", "input": t.replace(decide("project.approve", t.approver, sub), "permit", {"grant": {}, "valid_from": "2025-01-01", "valid_to": "2026-01-01"}), "allow": false, "reason": "at least one dataset"},
	{"name": "approve without project", "input": {"action": "project.approve", "actor": t.approver}, "allow": false, "reason": "names no project"},
]

test_decisions if count(t.failures(decision_cases)) == 0

revoke_cases := [
	{"name": "approver revokes approved", "input": t.on_project("project.revoke", t.approver), "allow": true},
	{"name": "admin revokes approved", "input": t.on_project("project.revoke", t.admin), "allow": true},
	{"name": "lead cannot revoke", "input": t.on_project("project.revoke", t.lead), "allow": false, "reason": "only an approver"},
	{"name": "checker cannot revoke", "input": t.on_project("project.revoke", t.checker), "allow": false, "reason": "only an approver"},
	{"name": "submitted cannot be revoked", "input": decide("project.revoke", t.approver, sub), "allow": false, "reason": "only an approved project"},
	{"name": "revoked cannot be revoked twice", "input": decide("project.revoke", t.admin, object.union(t.project, {"status": "revoked"})), "allow": false, "reason": "only an approved project"},
]

test_revoke if count(t.failures(revoke_cases)) == 0

revoked := object.union(t.project, {"status": "revoked"})

extract_delete_cases := [
	{"name": "approver deletes revoked", "input": decide("project.extract_delete", t.approver, revoked), "allow": true},
	{"name": "admin deletes revoked", "input": decide("project.extract_delete", t.admin, revoked), "allow": true},
	{"name": "lead cannot delete", "input": decide("project.extract_delete", t.lead, revoked), "allow": false, "reason": "only an approver"},
	{"name": "approved project keeps its extract", "input": t.on_project("project.extract_delete", t.admin), "allow": false, "reason": "only a revoked project"},
]

test_extract_delete if count(t.failures(extract_delete_cases)) == 0

add(actor, member, project) := t.with_fields("project.members.add", actor, {"member": member, "project": project})

member(name, role) := {"username": name, "role": role, "known": true}

members_cases := [
	{"name": "admin adds analyst", "input": add(t.admin, member("otto", "analyst"), t.project), "allow": true},
	{"name": "approver adds analyst to submitted", "input": add(t.approver, member("otto", "analyst"), sub), "allow": true},
	{"name": "admin adds checker", "input": add(t.admin, member("chk", "output_checker"), t.project), "allow": true},
	{"name": "lead cannot add", "input": add(t.lead, member("otto", "analyst"), t.project), "allow": false, "reason": "only an approver"},
	{"name": "analyst cannot add", "input": add(t.analyst, member("otto", "analyst"), t.project), "allow": false, "reason": "only an approver"},
	{"name": "unknown role", "input": add(t.admin, member("otto", "boss"), t.project), "allow": false, "reason": "not a project role"},
	{"name": "global role admin is not a project role", "input": add(t.admin, member("otto", "admin"), t.project), "allow": false, "reason": "not a project role"},
	{"name": "member without account", "input": add(t.admin, {"username": "sam", "role": "analyst", "known": false}, t.project), "allow": false, "reason": "needs an account"},
	{"name": "sod: approver as checker", "input": add(t.admin, member("appy", "output_checker"), t.project), "allow": false, "reason": "separation of duties"},
	{"name": "sod off: approver as checker", "input": object.union(add(t.admin, member("appy", "output_checker"), t.project), {"settings": {"separation_of_duties": false}}), "allow": true},
	{"name": "sod default on when unset", "input": object.remove(add(t.admin, member("appy", "output_checker"), t.project), ["settings"]), "allow": false, "reason": "separation of duties"},
	{"name": "checker cannot become analyst", "input": add(t.admin, member("cora", "analyst"), t.project), "allow": false, "reason": "may not also work on it"},
	{"name": "revoked project", "input": add(t.admin, member("otto", "analyst"), object.union(t.project, {"status": "revoked"})), "allow": false, "reason": "members can change only"},
	{"name": "rejected project", "input": add(t.admin, member("otto", "analyst"), object.union(t.project, {"status": "rejected"})), "allow": false, "reason": "members can change only"},
	{"name": "admin removes analyst", "input": t.with_fields("project.members.remove", t.admin, {"member": {"username": "ana"}}), "allow": true},
	{"name": "lead cannot be removed", "input": t.with_fields("project.members.remove", t.admin, {"member": {"username": "lena"}}), "allow": false, "reason": "cannot be removed"},
	{"name": "analyst cannot remove", "input": t.with_fields("project.members.remove", t.analyst, {"member": {"username": "ana"}}), "allow": false, "reason": "only an approver"},
]

test_members if count(t.failures(members_cases)) == 0

provision(actor, extra) := t.with_fields("project.provision", actor, object.union({"extract": {"datasets": {"synthea.patients": ["sex"]}}}, extra))

provision_cases := [
	{"name": "admin provisions within permit", "input": provision(t.admin, {}), "allow": true},
	{"name": "admin provisions everything granted", "input": provision(t.admin, {"extract": {"datasets": t.permit.grant}}), "allow": true},
	{"name": "approver cannot provision", "input": provision(t.approver, {}), "allow": false, "reason": "only an admin"},
	{"name": "lead cannot provision", "input": provision(t.lead, {}), "allow": false, "reason": "only an admin"},
	{"name": "dataset not granted", "input": provision(t.admin, {"extract": {"datasets": {"synthea.claims": ["cost"]}}}), "allow": false, "reason": "does not grant dataset synthea.claims"},
	{"name": "column not granted", "input": provision(t.admin, {"extract": {"datasets": {"synthea.patients": ["sex", "postcode"]}}}), "allow": false, "reason": "does not grant column postcode"},
	{"name": "submitted project", "input": provision(t.admin, {"project": sub}), "allow": false, "reason": "only an approved project"},
	{"name": "revoked permit", "input": provision(t.admin, {"permit": {"revoked": true}}), "allow": false, "reason": "revoked"},
	{"name": "permit not yet valid", "input": provision(t.admin, {"today": "2024-12-31"}), "allow": false, "reason": "valid only from"},
	{"name": "permit valid on first day", "input": provision(t.admin, {"today": "2025-01-01"}), "allow": true},
	{"name": "permit valid on last day", "input": provision(t.admin, {"today": "2026-12-31"}), "allow": true},
	{"name": "permit expired", "input": provision(t.admin, {"today": "2027-01-01"}), "allow": false, "reason": "expired"},
	{"name": "no permit", "input": object.remove(provision(t.admin, {}), ["permit"]), "allow": false, "reason": "no data permit"},
	{"name": "null permit", "input": object.union(provision(t.admin, {}), {"permit": null}), "allow": false, "reason": "no data permit"},
]

test_provision if count(t.failures(provision_cases)) == 0

team_cases := [
	{"name": "team of known accounts", "input": {"action": "project.apply", "actor": t.outsider, "team": [t.analyst]}, "allow": true},
	{"name": "team member without account", "input": {"action": "project.apply", "actor": t.outsider, "team": [t.stranger]}, "allow": false, "reason": "team member sam needs an account"},
	{"name": "applicant in own team", "input": {"action": "project.apply", "actor": t.outsider, "team": [t.outsider]}, "allow": false, "reason": "not named in its team"},
]

test_team if count(t.failures(team_cases)) == 0

returned := object.union(sub, {"status": "returned"})

answer(actor, project, text) := t.with_fields("project.resubmit", actor, {"project": project, "text": text})

question_cases := [
	{"name": "approver asks", "input": decide("project.ask", t.approver, sub), "allow": true},
	{"name": "admin asks", "input": decide("project.ask", t.admin, sub), "allow": true},
	{"name": "question without text", "input": t.replace(decide("project.ask", t.approver, sub), "text", ""), "allow": false, "reason": "needs its text"},
	{"name": "analyst cannot ask", "input": decide("project.ask", t.outsider, sub), "allow": false, "reason": "only an approver"},
	{"name": "member approver cannot ask", "input": decide("project.ask", t.user("ana", ["approver"]), sub), "allow": false, "reason": "applicant or member"},
	{"name": "returned cannot be asked again", "input": decide("project.ask", t.approver, returned), "allow": false, "reason": "only a submitted application"},
	{"name": "returned cannot be approved", "input": decide("project.approve", t.approver, returned), "allow": false, "reason": "only a submitted application"},
	{"name": "lead answers", "input": answer(t.lead, returned, "Here are the answers."), "allow": true},
	{"name": "analyst member cannot answer", "input": answer(t.analyst, returned, "Answers."), "allow": false, "reason": "only the project's lead"},
	{"name": "admin cannot answer for the applicant", "input": answer(t.admin, returned, "Answers."), "allow": false, "reason": "only the project's lead"},
	{"name": "empty answer", "input": answer(t.lead, returned, ""), "allow": false, "reason": "answer to the review body needs its text"},
	{"name": "answer when nothing was asked", "input": answer(t.lead, sub, "Answers."), "allow": false, "reason": "only an application returned"},
	{"name": "rejection with empty reasons", "input": object.remove(decide("project.reject", t.approver, sub), ["text"]), "allow": false, "reason": "a rejection needs reasons"},
]

test_questions if count(t.failures(question_cases)) == 0

approve_with(permit) := t.replace(decide("project.approve", t.approver, sub), "permit", object.union(terms, permit))

terms_cases := [
	{"name": "narrower grant", "input": approve_with({"grant": {"synthea.patients": ["sex"]}}), "allow": true},
	{"name": "dataset not applied for", "input": approve_with({"grant": {"synthea.claims": ["cost"]}}), "allow": false, "reason": "dataset synthea.claims was not"},
	{"name": "column not applied for", "input": approve_with({"grant": {"synthea.patients": ["sex", "postcode"]}}), "allow": false, "reason": "column postcode of dataset synthea.patients was not"},
	{"name": "high tier when standard would do", "input": approve_with({"tier": "high"}), "allow": true},
	{"name": "standard tier for high data", "input": approve_with({"tier": "standard", "required_tier": "high"}), "allow": false, "reason": "needs the high tier"},
	{"name": "unknown tier", "input": approve_with({"tier": "secret"}), "allow": false, "reason": "secret is not a sensitivity tier"},
]

test_terms if count(t.failures(terms_cases)) == 0

change(action, actor, name, role) := t.with_fields(action, actor, {"member": {"username": name, "role": role, "known": true}})

role_cases := [
	{"name": "an existing member is not added again", "input": add(t.admin, member("ana", "output_checker"), t.project), "allow": false, "reason": "ana is already a member (analyst)"},
	{"name": "the lead is not added again", "input": add(t.admin, member("lena", "analyst"), t.project), "allow": false, "reason": "already a member (lead)"},
	{"name": "a second lead is not added", "input": add(t.admin, member("otto", "lead"), t.project), "allow": false, "reason": "one lead"},
	{"name": "role change of an analyst to lead", "input": change("project.members.role", t.admin, "ana", "lead"), "allow": false, "reason": "one lead"},
	{"name": "role change of the lead", "input": change("project.members.role", t.admin, "lena", "analyst"), "allow": false, "reason": "only by handing the lead over"},
	{"name": "role change of a non-member", "input": change("project.members.role", t.admin, "otto", "analyst"), "allow": false, "reason": "otto is not a member"},
	{"name": "analyst to checker", "input": change("project.members.role", t.admin, "ana", "output_checker"), "allow": false, "reason": "may not also check its outputs"},
	{"name": "checker to analyst", "input": change("project.members.role", t.admin, "cora", "analyst"), "allow": false, "reason": "may not also work on it"},
	{"name": "lead cannot change roles", "input": change("project.members.role", t.lead, "ana", "analyst"), "allow": false, "reason": "only an approver"},
	{"name": "hand over to an analyst", "input": change("project.members.handover", t.admin, "ana", "lead"), "allow": true},
	{"name": "hand over to a checker", "input": change("project.members.handover", t.admin, "cora", "lead"), "allow": false, "reason": "only to an analyst"},
	{"name": "hand over to a non-member", "input": change("project.members.handover", t.admin, "otto", "lead"), "allow": false, "reason": "otto is not a member"},
	{"name": "the lead cannot hand over alone", "input": change("project.members.handover", t.lead, "ana", "lead"), "allow": false, "reason": "only an approver"},
	{"name": "former applicant removable after hand-over", "input": t.with_fields("project.members.remove", t.admin, {"member": {"username": "lena"}, "project": object.union(t.project, {"members": {"lena": "analyst", "ana": "lead"}})}), "allow": true},
	{"name": "remove a non-member", "input": t.with_fields("project.members.remove", t.admin, {"member": {"username": "otto"}}), "allow": false, "reason": "otto is not a member"},
]

test_roles if count(t.failures(role_cases)) == 0

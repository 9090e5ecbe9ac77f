"""Notices to researchers: the permit granted, the workspace ready, a release request moved.

Notices are derived from the audit log, which every state change writes in its own
transaction: `collect` turns the events after its cursor into one notice per recipient (the
project's applicant and members), so no service needs to remember to send one and none is
missed. The portal shows them (`for_user`, `mark_read`); `tre.notices.mail` sends the same
notices by e-mail when an SMTP server is set.
"""

"""Patients: a person proves who they are, sees which projects used their records, and opts out.

Proof of identity is a contract (`identity.IdentityProvider`): today a one-time code that a
data holder issues to the person (`codes.OneTimeCodes`), standing in for verification with a
My Number card. What a person may then see and change is only their own: the projects whose
extracts included their records and their opt-out (`service`). Nothing here reveals anything
about anyone to someone without their code, not even whether a person is in the lake.
"""

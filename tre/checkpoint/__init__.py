"""Signed checkpoints of the audit chain, kept and published outside the database.

- `note`, `statement`: the signed-note format (c2sp.org/signed-note, Ed25519) and the two
  texts signed: a checkpoint (c2sp.org/tlog-checkpoint layout) and a key handover;
- `keys`: the signing key under TRE_HOME/keys;
- `store`: the append-only checkpoints file;
- `publish`: signing after each committed change, and key rotation;
- `history`: which key signs at which length, from the handover events;
- `source`, `verify`: reading checkpoints from a file or URL and checking the chain against them;
- `public`: what the public register shows.

Imports run one way: this package uses `tre.audit` and `tre.db`; `tre.audit` loads
`publish` only when a transaction that recorded an event commits.
"""

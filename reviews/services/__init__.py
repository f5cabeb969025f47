"""Writing review work, one module per part of the domain.

``assignments`` (inviting reviewers, the conflict-of-interest attestation,
removing and completing), ``findings``, ``requests`` (information requests to
the developer), ``recommendations`` (the draft and the issued
recommendation) and ``scores`` (government-measured scores); ``base`` holds
what they share.

Each function takes the acting person, checks that they may act, runs in one
transaction with the case row locked (so two coordinators, or a reviewer and a
developer, never interleave on one case), writes the audit event, and queues
notifications on commit. A refusal raises ``ReviewActionRefused`` with a
message for the person and changes nothing.
"""

"""The audit slice: a fixed fraction of records that always go to a person, whatever the machines say.

People label what the review queue puts first, the records the machines are least sure of; those labels
say how often the machines are right on hard records, not on the records they label alone, so a
calibration fitted on them alone is biased. The audit slice is the unbiased sample: a record is in it when
the hash of its record_id falls below `fraction`. A hash, not a random draw, so a record is in or out on
every run, in every partition and on every machine (re-materializing gives the same bytes), and growing the
fraction only adds records. The labels asset routes audit records to review (basis `audit`), the review
queue puts them first and marks them, and calibration is fitted on their human labels once there are enough
(`gleaner.labeling.calibration.calibration_gold`).
"""

from __future__ import annotations

import hashlib

AUDIT = "audit"  # the resolved basis of a record the machines settled that goes to review as an audit record
_SCALE = float(2**64)


def audit_position(record_id: str) -> float:
    """Where the record falls in [0, 1): the first eight bytes of sha256("audit:" + record_id)."""
    digest = hashlib.sha256(f"audit:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def in_audit(record_id: str, fraction: float) -> bool:
    """Whether the record is in the audit slice of `fraction` (0: none, 1: every record)."""
    return fraction > 0 and audit_position(record_id) < fraction

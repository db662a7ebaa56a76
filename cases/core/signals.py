"""News that travels upward: the workflow and the documents send, notifications listen.

Each signal is sent once the transaction that made the news has committed (from a
``transaction.on_commit`` callback), with the primary key of the row concerned, so a
receiver reads committed data and can never undo the action. Receivers must not raise
into the sender; ``cases.notifications.receivers`` connects them in ``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

# A case's step became active (the case was filed, or the previous step finished).
# Sent with ``step_id``.
step_started = Signal()

# A case was approved or rejected by its deciding body. Sent with ``case_id``.
case_decided = Signal()

# A decision's document was issued (or re-issued). Sent with ``document_id``.
decision_issued = Signal()

# A decision's document could not be signed yet (the HSM is down, a key is missing); the
# sweep retries. Sent with ``decision_id``.
decision_signature_pending = Signal()

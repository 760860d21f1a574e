"""What an authorization's status and flags mean, in the words staff use on the board."""

from __future__ import annotations

STATUS_MEANINGS: dict[str, str] = {
    "needed": "The visit needs a prior authorization; its package has not been checked yet.",
    "documentation_missing": "The payer's policy asks for documents that are not on file yet; "
                             "enter them under Evidence on file or upload them under "
                             "Documents below; each save checks the package again at once.",
    "ready": "The package is complete; the next submit run sends it to the payer.",
    "submitted": "Sent to the payer; waiting for its decision.",
    "packet_ready": "The packet is ready to send to this fax or portal payer, but no one has "
                    "recorded sending it. Send it, then record the send below with the fax "
                    "confirmation or portal reference.",
    "pended": "The payer is still reviewing it; painauth asks again on a backoff until it decides.",
    "approved": "The payer approved it. Check the validity window and units against the visit.",
    "partial": "The payer approved part of it (fewer units, or another code). "
               "See the payer's answer line by line.",
    "denied": "The payer refused it; its reasons are below. Correct and resubmit, or appeal.",
    "rejected": "The payer refused the request as sent (an error in it); fix it and set it back "
                "to ready for a new attempt.",
    "expired": "The approval's validity has ended.",
    "cancelled": "No longer wanted (the visit was cancelled or changed).",
    "not_required": "This payer does not need a prior authorization for this visit.",
}

FLAG_WORDS: dict[str, str] = {
    "decision_overdue": "Decision overdue: the payer's deadline has passed without a decision. "
                        "Call the payer.",
    "expires_before_visit": "The approval ends before the visit date. Ask for an extension or "
                            "move the visit.",
    "starts_after_visit": "The approval starts after the visit date. Move the visit inside the "
                          "window or ask the payer to correct the dates.",
    "billing_review": "What was performed differs from what was authorized (a code not "
                      "authorized, or more units or levels than approved). Review before the "
                      "claim goes out.",
    "units_short": "Fewer units approved than requested. Adjust the plan or ask the payer "
                   "to reconsider.",
    "contact_payer": "The payer asks the practice to contact it about this request.",
    "information_requested": "The payer asks for more information before it decides. Send it "
                             "before the due date in the queue.",
    "packet_ready": "Packet ready to send by fax or portal: not sent until a person records "
                    "the send.",
    "denial_closed": "Denial closed: billing accepted it (not appealed, or the appeal upheld); "
                     "no longer in the work queue. Opening an appeal or resubmitting reopens it.",
}


def status_meaning(status: str) -> str:
    return STATUS_MEANINGS.get(status, "")


def flag_words(flag: str) -> str:
    return FLAG_WORDS.get(flag, flag.replace("_", " "))

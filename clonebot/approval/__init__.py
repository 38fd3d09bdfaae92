"""Durable approval state: pending suggestions, owner decisions, the send audit log."""

from clonebot.approval.store import ApprovalStore, Decision, SendClaim, Suggestion

__all__ = ["ApprovalStore", "Decision", "SendClaim", "Suggestion"]

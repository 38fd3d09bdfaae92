"""Durable approval state: pending suggestions, owner decisions, the send audit log."""

from clonebot.approval.decisions import DECISIONS, Decision
from clonebot.approval.store import ApprovalStore, DecisionRecord, SendClaim, Suggestion

__all__ = ["DECISIONS", "ApprovalStore", "Decision", "DecisionRecord", "SendClaim", "Suggestion"]

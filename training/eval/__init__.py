"""`clonebot eval`: how well does an adapter speak as the owner, and does it stop?

All numbers are measured on the held-out owner replies (the ``eval`` split of a prepared
dataset: each row's ``messages`` ends with the owner's real reply). One module per job:

- ``likelihood``: perplexity of the real replies under the base model and the adapter
  (reply tokens + EOS only, masked by ``training.masking`` as in training);
- ``generation`` samples through the bot's own generator and keeps the raw text;
  ``stops`` says why a generation ended and whether it began the other person's turn;
- ``behaviour``: stop rates, other-turn writing, ``repetition`` (n-grams, loops), reply
  length, ``chrf`` against the real reply;
- ``fingerprint``: the owner's style vs the clone's (length, emoji, case, closings,
  questions, scripts, openings, phrases), with the distance of every clone figure;
- ``clone_score``: can a classifier tell the clone's replies from the owner's (ROC AUC of a
  cross-validated n-gram discriminator, with its interval and what gives the clone away);
  ``context_length``: the fingerprint and the clone score per context length;
- ``canaries``: planted fake secrets must never come out of the model;
- ``approvals``: the owner's approval rate over time, from the bot's store;
- ``rows`` picks the held-out rows; ``run`` runs it all and writes ``eval.json``;
  ``table`` prints it.

The names other parts of the project use are re-exported here.
"""

from training.eval.approvals import approval_rates, read_approvals
from training.eval.canaries import load_canaries
from training.eval.likelihood import NLL, reply_nll
from training.eval.rows import load_split, pick_rows, reply_items
from training.eval.run import EvalOptions, EvalReport, json_safe, run_eval, write_json_atomic
from training.eval.table import format_report

__all__ = [
    "NLL",
    "EvalOptions",
    "EvalReport",
    "approval_rates",
    "format_report",
    "json_safe",
    "load_canaries",
    "load_split",
    "pick_rows",
    "read_approvals",
    "reply_items",
    "reply_nll",
    "run_eval",
    "write_json_atomic",
]

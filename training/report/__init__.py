"""`clonebot report`: one self-contained HTML page about an adapter, to look at.

``collect`` reads what the pipeline already wrote (dataset stats, trainer state, eval.json,
the approval store); ``charts`` turns it into plotly figures; ``page`` renders the page
with plotly.js inside it.
"""

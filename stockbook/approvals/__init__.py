"""Approval workflows (审批流, issue 5 item 5): per document type and amount, multi-level sequential
steps, 会签 (all must approve) and 或签 (any one), 转交, reject with a reason, timeout escalation, an
e-signature (the password re-entered) on every decision, and a mobile approval inbox.

``post()`` calls :func:`stockbook.approvals.gate.gate` first: a document of a person (web, API) that a
workflow covers is validated by a rolled-back dry run and becomes an :class:`ApprovalRequest`; it is
posted — through ``post()`` as its maker — on the final approval. See docs/approvals.md.
"""

"""The demo company 示例商贸有限公司: master data, openings, a year of journals and closes, demo users.

Everything enters the books through ``post()``: the loader only generates interchange documents
(``generate.documents()``) and posts them in order. ``load_demo()`` is idempotent — the documents are
deterministic, so a second run finds every one of them already posted and skips it as a duplicate.
"""

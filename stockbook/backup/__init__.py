"""Backups: ``stockbook backup`` (SQLite online backup API / pg_dump), rotation, an off-site copy,
``stockbook restore`` and ``stockbook backup verify`` (restore into a scratch database and compare the
trial balance, stock balance and reconcile reports with the live database). See docs/operations.md."""

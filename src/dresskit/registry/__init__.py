"""Persistence and exchange: bundle files now; the database and audit trail later."""

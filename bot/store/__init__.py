"""The store: sqlmodel tables, sessions, alembic migrations and the audit log.

``database.Store`` opens the database and runs the migrations,
``repository`` reads and writes the flow's records, ``audit`` keeps the
hash-chained audit log, and ``masterdata_sync`` copies the master data in.
"""

"""Every table on one metadata, for Alembic and the schema test: importing this module
registers each model module's tables."""

from __future__ import annotations

from storage import accounts, archive, audit, ledger, plans, signin, standing
from storage.base import Base

MODULES = (accounts, archive, audit, ledger, plans, signin, standing)
metadata = Base.metadata

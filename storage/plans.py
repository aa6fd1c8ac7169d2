"""What `load` applied for each plan, beside the plan's workflow: the occurrences it started
(reference -> spec hash) and the events they wait for. These maps grow by about 43 bytes per
occurrence, so they are kept here, by their SHA-256, and the plan's workflow holds that hash:
its record stays a few hundred bytes at 48,000 occurrences, where the maps alone would pass
Temporal's 2 MiB payload limit."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import String, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base


class PlanOccurrences(Base):
    __tablename__ = "plan_occurrences"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text, doc='JSON: {"occurrences": {ref: spec hash}, '
                                                '"waits_for": {ref: event id}}')


class LoadedOccurrences:
    """The maps of each loaded version, content-addressed: keeping one twice is one row."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, plan_id: str, occurrences: dict[str, str], waits_for: dict[str, str]) -> str:
        body = json.dumps({"occurrences": occurrences, "waits_for": waits_for},
                          sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        sha = hashlib.sha256(body.encode()).hexdigest()
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with Session(self.engine) as session:
            session.execute(insert(PlanOccurrences).values(sha256=sha, plan_id=plan_id, body=body)
                            .on_conflict_do_nothing(index_elements=["sha256"]))
            session.commit()
        return sha

    def read(self, sha: str) -> tuple[dict[str, str], dict[str, str]]:
        """The maps kept under `sha`; LookupError when this database does not have them."""
        with Session(self.engine) as session:
            body = session.scalar(select(PlanOccurrences.body).where(
                PlanOccurrences.sha256 == sha))
        if body is None:
            raise LookupError(sha)
        maps = json.loads(body)
        return maps["occurrences"], maps["waits_for"]

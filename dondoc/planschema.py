"""The JSON schema of plan files, for editors (yaml-language-server, VS Code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plans.model import Plan

SCHEMA_ID = "https://dondoc.example.invalid/plan.schema.json"


def plan_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "dondoc plan (Kế hoạch)",
        **schema,
    }


def write_schema(path: Path) -> None:
    path.write_text(json.dumps(plan_schema(), ensure_ascii=False, indent=2) + "\n", "utf-8")

"""Evaluation results (assessments, video interviews, reference checks) into the store.

``record_evaluation`` takes one normalised result, as the signed intake endpoint receives it
from a stage integration (iMocha, WePow, Spark Hire, Refapp …), and upserts it by (team,
provider, external id), so a resent result updates the row instead of duplicating it. The
candidate is queued for indexing, since evaluations feed filters and best-match ranking.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rediscover.core.enums import EvaluationKind, EvaluationStatus
from rediscover.core.models import Application, Candidate, Connection, Evaluation, IndexQueue

KINDS = tuple(k.value for k in EvaluationKind)
STATUSES = tuple(s.value for s in EvaluationStatus)
MAX_TEXT = 1000


class InvalidEvaluation(ValueError):
    """One field of an evaluation result is missing or wrong (``field`` names it)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def record_evaluation(
    session: Session, team_id: int, data: Any, *, origin: str = "intake"
) -> tuple[Evaluation, bool]:
    """Upsert one result for ``team_id``; returns the row and whether it was created."""
    if not isinstance(data, dict):
        raise InvalidEvaluation("The body must be a JSON object.", field="body")
    values = _values(data)
    app = _application(session, team_id, data.get("application"))
    row = session.scalar(
        select(Evaluation).where(
            Evaluation.team_id == team_id,
            Evaluation.provider == values["provider"],
            Evaluation.external_id == values["external_id"],
        )
    )
    created = row is None
    if row is None:
        row = Evaluation(team_id=team_id, origin=origin)
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.application_id = app.id
    session.add(IndexQueue(candidate_id=app.candidate_id, person_id=app.candidate.person_id))
    session.flush()
    return row, created


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values = {
        "provider": _text(data, "provider", required=True).lower(),
        "external_id": _text(data, "external_id", required=True),
        "kind": _choice(data, "kind", KINDS),
        "status": _choice(data, "status", STATUSES),
        "score": _number(data, "score"),
        "max_score": _number(data, "max_score"),
        "result_url": _text(data, "result_url"),
        "completed_at": _time(data, "completed_at"),
        "expires_at": _time(data, "expires_at"),
    }
    if values["result_url"] and not values["result_url"].startswith(("https://", "http://")):
        raise InvalidEvaluation("result_url must be an http(s) URL.", field="result_url")
    if values["score"] is not None and values["max_score"] is not None:
        if values["max_score"] <= 0 or values["score"] > values["max_score"]:
            raise InvalidEvaluation("score must be between 0 and max_score > 0.", field="score")
    return values


def _application(session: Session, team_id: int, ref: Any) -> Application:
    """The application a result is about: ``{"connection": name, "remote_id": id}``."""
    if not isinstance(ref, dict) or not ref.get("connection") or not ref.get("remote_id"):
        raise InvalidEvaluation(
            "application must be {connection: name, remote_id: ATS application id}.",
            field="application",
        )
    app = session.scalar(
        select(Application)
        .join(Connection, Connection.id == Application.connection_id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(
            Connection.team_id == team_id,
            Connection.name == str(ref["connection"]),
            Application.remote_id == str(ref["remote_id"]),
        )
    )
    if app is None:
        raise InvalidEvaluation("No such application in your connections.", field="application")
    return app


def _text(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise InvalidEvaluation(f"{name} is required.", field=name)
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > MAX_TEXT:
        raise InvalidEvaluation(
            f"{name} must be a string of at most {MAX_TEXT} characters.", field=name
        )
    return str(value).strip()


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in allowed:
        raise InvalidEvaluation(f"{name} must be one of {', '.join(allowed)}.", field=name)
    return value


def _number(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidEvaluation(f"{name} must be a number.", field=name)
    if value < 0:
        raise InvalidEvaluation(f"{name} must not be negative.", field=name)
    return float(value)


def _time(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvaluation(f"{name} must be an ISO timestamp.", field=name) from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed

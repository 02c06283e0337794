"""GDPR erase by email: store rows, index documents, cached files; an audit line without PII."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rediscover.core import accounts
from rediscover.core.models import (
    Attachment,
    Candidate,
    CandidateEmail,
    ErasureLog,
    ExtractedText,
    FileBlob,
)
from rediscover.web.cli import cli

PRIYA = "priya.raman@example.com"  # in process (include_active finds her), with a resume


def count(svc, stmt) -> int:
    with svc.session_factory() as s:
        return s.scalar(stmt)


@pytest.fixture
def admin(svc, fake) -> dict[str, str]:
    with svc.session_factory.begin() as session:
        team = accounts.get_or_create_team(session, "Acme")
        _, token = accounts.create_user(session, team, "root@acme.example", role="admin")
    return {"Authorization": f"Bearer {token}"}


def priya_state(svc) -> dict:
    with svc.session_factory() as s:
        ids = list(s.scalars(select(Candidate.id).join(CandidateEmail).where(
            CandidateEmail.normalized == PRIYA)))
        hashes = set(s.scalars(select(Attachment.content_hash).where(
            Attachment.candidate_id.in_(ids), Attachment.content_hash.is_not(None))))
        return {"ids": ids, "hashes": hashes}


def test_admin_erase_removes_the_person_everywhere(client, svc, fake, auth, admin):
    before = priya_state(svc)
    assert before["ids"] and before["hashes"]
    assert client.post("/api/v1/search", json={"emails": [PRIYA], "include_active": True}, headers=auth).get_json()["total"] == 1

    response = client.post("/api/v1/admin/erase", json={"email": "  Priya.Raman@Example.com "},
                           headers=admin)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["candidates"] == 1 and body["people"] == 1 and body["files"] >= 1
    assert count(svc, select(func.count()).select_from(Candidate).where(
        Candidate.id.in_(before["ids"]))) == 0
    assert count(svc, select(func.count()).select_from(FileBlob).where(
        FileBlob.content_hash.in_(before["hashes"]))) == 0
    assert count(svc, select(func.count()).select_from(ExtractedText).where(
        ExtractedText.content_hash.in_(before["hashes"]))) == 0
    assert client.post("/api/v1/search", json={"emails": [PRIYA], "include_active": True}, headers=auth).get_json()["total"] == 0
    assert client.post("/api/v1/search", json={"query": "Raman", "include_active": True}, headers=auth).get_json()["total"] == 0
    with svc.session_factory() as s:
        [line] = s.scalars(select(ErasureLog)).all()
        text = json.dumps({c.name: str(getattr(line, c.name)) for c in ErasureLog.__table__.c})
    assert "priya" not in text.lower() and "raman" not in text.lower()
    assert line.actor.startswith("user:") and line.connections == ["acme"]


def test_erase_needs_an_admin_and_an_email(client, svc, fake, auth, admin):
    forbidden = client.post("/api/v1/admin/erase", json={"email": PRIYA}, headers=auth)
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
    bad = client.post("/api/v1/admin/erase", json={"email": 42}, headers=admin)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "email"
    assert priya_state(svc)["ids"]  # nothing erased
    assert count(svc, select(func.count()).select_from(ErasureLog)) == 0


def test_cli_erase(app, svc, fake):
    runner = CliRunner()
    result = runner.invoke(cli, ["erase", PRIYA, "--yes"], obj=_script_info(app),
                           catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "erased 1 record(s) of 1 person(s)" in result.output
    assert priya_state(svc)["ids"] == []
    assert count(svc, select(func.count()).select_from(ErasureLog)) == 1


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)

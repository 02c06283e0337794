"""``python -m bench.bulk_add [PEOPLE]``: time a bulk add of everyone matching to a sequence.

Generates PEOPLE (default 14,000: a bit over 10,000 searchable) into a fresh SQLite store,
builds the index, then runs the same job ``POST /sequences/<id>/enrollments`` starts, inline
(resolve "all matching" page by page, re-check eligibility, write enrollments, record progress),
and a second time with the same people (everyone already there). Prints JSON.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.generate import load_store
from rediscover.core import accounts
from rediscover.core.models import BulkJob, Enrollment, Sequence, Team
from rediscover.query.filters import Viewer
from rediscover.web import bulk, create_app, jobs

DEFAULT_PEOPLE = 14_000


def main(people: int) -> dict:
    """Run the measurement; returns the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bulk.sqlite'}"})
        svc = app.extensions["rediscover"]
        load_store(svc.engine, people)
        jobs.rebuild_index(svc)
        with svc.session_factory.begin() as db:
            team = db.scalar(select(Team))
            user, _ = accounts.create_user(db, team, "bench@example.test")
            seq = Sequence(team_id=team.id, name="bench")
            db.add(seq)
            db.flush()
            ids = (user.id, team.id, seq.id)
            viewer = Viewer(team_id=team.id, user_id=user.id)
        figures = {"people_generated": people}
        for run in ("first", "again"):
            start = time.perf_counter()
            job, _ = bulk.start_bulk_add(svc, *ids, key=run, body={"filters": {}}, viewer=viewer,
                                         run_async=False)
            seconds = time.perf_counter() - start
            with svc.session_factory() as db:
                job = db.get(BulkJob, job.id)
                figures[run] = {"seconds": round(seconds, 2), "total": job.total, "added": job.added,
                                "already_there": job.already, "skipped": job.skipped,
                                "people_per_second": round(job.total / seconds)}
        with svc.session_factory() as db:
            figures["enrollments"] = db.scalar(select(func.count()).select_from(Enrollment))
        svc.engine.dispose()
    return figures


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PEOPLE), indent=2))

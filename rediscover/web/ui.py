"""The recruiter search page (server-rendered shell; data comes from the JSON API)."""
from __future__ import annotations

from flask import Blueprint, render_template

from rediscover.core.milestones import LABELS, MILESTONES

bp = Blueprint("ui", __name__)


@bp.get("/")
def index():
    """The search page: filters, facet counts, results, person view."""
    return render_template("search.html", milestones=[(m, LABELS[m]) for m in MILESTONES])

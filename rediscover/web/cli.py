"""The ``rediscover`` command line: connect, sync, index, search, serve, users, demo."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from rediscover.core import accounts
from rediscover.core.enums import ATS, UserRole
from rediscover.core.milestones import MILESTONES
from rediscover.core.models import Connection, Team, User
from rediscover.indexer import merge
from rediscover.indexer.errors import UnknownRecordError
from rediscover.mappings.reasons import SHARED_REASONS
from rediscover.query import search as search_mod
from rediscover.query.errors import InvalidQuery, SearchUnavailable
from rediscover.query.filters import SearchRequest, Viewer
from rediscover.sync.lock import LockHeldError
from rediscover.web import create_app, jobs, status as status_mod
from rediscover.web.wiring import services

CONNECT_DEFAULTS = {
    ATS.GREENHOUSE: {
        "base_url": "https://harvest.greenhouse.io/v3",
        "token_url": "https://auth.greenhouse.io/token",
    },
    ATS.LEVER: {
        "base_url": "https://api.lever.co/v1",
        "token_url": None,  # API keys only: Lever's OAuth is for listed partner apps
    },
    ATS.SMARTRECRUITERS: {
        "base_url": "https://api.smartrecruiters.com",
        "token_url": "https://api.smartrecruiters.com/identity/oauth/token",
    },
    # Per tenant: --base-url (and --token-url for OAuth) are required.
    ATS.WORKDAY: {"base_url": None, "token_url": None},
    # Per data centre: --base-url is required; the token URL is the API server's /oauth/token.
    ATS.SUCCESSFACTORS: {"base_url": None, "token_url": None},
    # Per customer: --base-url https://api.icims.com/customers/CUSTOMER_ID (api-eu for the EU).
    ATS.ICIMS: {"base_url": None, "token_url": "https://login.icims.com/oauth/token"},
}
# What --base-url looks like where the vendor has no single API host.
BASE_URL_FORMS = {
    ATS.WORKDAY: "the tenant's endpoint, https://HOST/ccx/service/TENANT/Recruiting/v42.0",
    ATS.SUCCESSFACTORS: "the data centre's API server, e.g. https://api4.successfactors.com"
                        "/odata/v2 (SAP's list of API servers; not the web host)",
    ATS.ICIMS: "the customer's API root, https://api.icims.com/customers/CUSTOMER_ID",
}
# Which credential sets each ATS accepts (any one complete set will do), by CLI flag.
CONNECT_CREDENTIALS: dict[ATS, tuple[tuple[str, ...], ...]] = {
    ATS.GREENHOUSE: (("client_id", "client_secret", "user_id"),),
    ATS.LEVER: (("api_key",),),
    ATS.SMARTRECRUITERS: (("api_key",), ("client_id", "client_secret")),
    # An Integration System User (WS-Security), or an OAuth API client for integrations.
    ATS.WORKDAY: (("username", "password"), ("client_id", "client_secret", "refresh_token")),
    # OAuth 2.0 SAML bearer (the supported integration flow), or HTTP Basic user@company.
    ATS.SUCCESSFACTORS: (("company_id", "client_id", "user_id", "private_key"),
                         ("company_id", "username", "password")),
    # OAuth client credentials (recommended), or the integration account over HTTP Basic.
    ATS.ICIMS: (("client_id", "client_secret"), ("username", "password")),
}
# Credentials whose flag is not --NAME.
FLAG_NAMES = {"private_key": "--private-key-file"}


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False)
def cli() -> None:
    """Rediscover: find the silver medalists already in your ATS."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="rediscover")


# --------------------------------------------------------------------------- connect


@cli.command()
@click.argument("ats", type=click.Choice([a.value for a in CONNECT_DEFAULTS]))
@click.option("--name", required=True, help="A name for this connection (used by --connection).")
@click.option("--team", default="Default", show_default=True, help="The team that owns it.")
@click.option("--base-url", help="API base URL (default: the vendor's own; Workday: "
                                 "https://HOST/ccx/service/TENANT/Recruiting/v42.0; iCIMS: "
                                 "https://api.icims.com/customers/CUSTOMER_ID).")
@click.option("--token-url", help="OAuth token URL (default: the vendor's own).")
@click.option("--client-id", help="OAuth client id (or REDISCOVER_<ATS>_CLIENT_ID).")
@click.option("--client-secret", help="OAuth client secret (or REDISCOVER_<ATS>_CLIENT_SECRET).")
@click.option("--user-id", help="Greenhouse: the user id the calls act as (OAuth 'sub'); "
                                "SuccessFactors: the user the SAML assertion names.")
@click.option("--webhook-secret", envvar="REDISCOVER_GREENHOUSE_WEBHOOK_SECRET",
              help="Greenhouse: the secret key of the webhooks pointed at "
                   "/webhooks/greenhouse/NAME (kept if omitted).")
@click.option("--refresh-token", help="Workday OAuth: the integration's non-expiring refresh "
                                      "token (or REDISCOVER_WORKDAY_REFRESH_TOKEN).")
@click.option("--username", help="Workday: the Integration System User, as user@tenant; "
                                 "SuccessFactors Basic: the API user (without @company); "
                                 "iCIMS: the integration account (HTTP Basic).")
@click.option("--password", help="Workday ISU, SuccessFactors Basic or iCIMS integration "
                                 "account password (or REDISCOVER_<ATS>_PASSWORD).")
@click.option("--company-id", help="SuccessFactors: the company id.")
@click.option("--private-key-file", "private_key", type=click.File("r"),
              help="SuccessFactors OAuth: the private key of the X.509 certificate registered "
                   "for the OAuth client, PEM or base64 (or its text in "
                   "REDISCOVER_SUCCESSFACTORS_PRIVATE_KEY).")
@click.option("--api-key", help="Lever API key (HTTP Basic) or SmartRecruiters X-SmartToken "
                                "(or REDISCOVER_<ATS>_API_KEY).")
@click.option("--step-history-report", help="Workday: URL or path of the RaaS report of job "
                                            "application step history (furthest stage).")
def connect(ats, name, team, base_url, token_url, step_history_report, webhook_secret,
            **flags) -> None:
    """Connect an ATS account (or update the connection called NAME)."""
    ats = ATS(ats)
    if flags.get("private_key") is not None:
        flags["private_key"] = flags["private_key"].read()
    credentials = _credentials(ats, _with_env(ats, flags))
    if "private_key" in credentials:
        credentials["private_key"] = _key_text(credentials["private_key"])
    defaults = CONNECT_DEFAULTS[ats]
    if not (base_url or defaults.get("base_url")):
        raise click.UsageError(f"{ats} needs --base-url ({BASE_URL_FORMS[ats]})")
    settings = {"step_history_report": step_history_report} if step_history_report else {}
    with services().session_factory.begin() as session:
        existing = session.scalar(select(Connection).where(Connection.name == name))
        secret = webhook_secret or ((existing.credentials or {}).get("webhook_secret")
                                    if existing else None)
        conn = _upsert_connection(
            session,
            team=accounts.get_or_create_team(session, team),
            name=name,
            ats=ats.value,
            base_url=(base_url or defaults["base_url"]).rstrip("/"),
            token_url=token_url or defaults.get("token_url"),
            credentials={**credentials, **({"webhook_secret": secret} if secret else {})},
            **({"settings": settings} if settings else {}),
        )
        click.echo(f"connection {conn.name!r} ({ats}) saved for team {team!r}: {conn.base_url}")


# Secrets may come from the environment instead of the command line (shell history).
SECRET_ENV = ("client_id", "client_secret", "refresh_token", "password", "api_key",
              "private_key")


def _with_env(ats: ATS, flags: dict[str, str | None]) -> dict[str, str | None]:
    env = {k: os.environ.get(f"REDISCOVER_{ats.value.upper()}_{k.upper()}") for k in SECRET_ENV}
    return {k: v or env.get(k) for k, v in flags.items()}


def _credentials(ats: ATS, flags: dict[str, str | None]) -> dict[str, str]:
    """The first complete credential set ``ats`` accepts, naming what is missing: from the
    set the flags went furthest in, or every set when none was started."""
    sets = CONNECT_CREDENTIALS[ats]
    for names in sets:
        if all(flags.get(n) for n in names):
            return {n: str(flags[n]) for n in names}
    given = [sum(bool(flags.get(n)) for n in names) for names in sets]
    if any(given):  # the set most flags were given for (sets may share a flag)
        missing = [n for n in sets[given.index(max(given))] if not flags.get(n)]
        raise click.UsageError(f"{ats.value} needs {_flag_list(missing)}")
    raise click.UsageError(f"{ats.value} needs {' or '.join(_flag_list(n) for n in sets)}")


def _flag_list(names: Iterable[str]) -> str:
    flags = [FLAG_NAMES.get(n, f"--{n.replace('_', '-')}") for n in names]
    return flags[0] if len(flags) == 1 else f"{', '.join(flags[:-1])} and {flags[-1]}"


def _key_text(key: str) -> str:
    """A private key as the one base64 line SuccessFactors' IdP takes (PEM armour dropped)."""
    return "".join(line.strip() for line in key.splitlines()
                   if line.strip() and not line.startswith("-----"))


def _upsert_connection(session, *, team: Team, name: str, **fields) -> Connection:
    conn = session.scalar(select(Connection).where(Connection.name == name))
    if conn is None:
        conn = Connection(team_id=team.id, name=name)
        session.add(conn)
    elif conn.team_id != team.id:
        raise click.UsageError(f"connection {name!r} belongs to another team")
    for key, value in fields.items():
        setattr(conn, key, value)
    session.flush()
    return conn


# --------------------------------------------------------------------------- sync and index


@cli.group(invoke_without_command=True)
@click.option("--connection", "connection_name", help="Only this connection (default: all).")
@click.option("--full", is_flag=True, help="Re-read everything instead of changes since the last sync.")
@click.option("--no-index", is_flag=True, help="Store only; index later with `rediscover index`.")
@click.pass_context
@with_appcontext
def sync(ctx, connection_name, full, no_index) -> None:
    """Sync candidates from the connected ATSs, then index what changed (`sync status`: runs)."""
    if ctx.invoked_subcommand is not None:
        return
    svc = services()
    names = jobs.connection_names(svc.session_factory, connection_name)
    if not names:
        raise click.UsageError(f"no connection named {connection_name!r}" if connection_name
                               else "no connections yet: run `rediscover connect` first")
    failed = False
    for name in names:
        try:
            run = jobs.sync_connection(svc.session_factory, name, full=full,
                                       progress=_progress_line(name))
        except LockHeldError as exc:
            _end_progress_line()
            click.echo(f"sync {name}: skipped — {exc}")
            failed = True
            continue
        _end_progress_line()
        click.echo(jobs.describe_run(name, run))
        jobs.apply_pending_webhooks(svc, name)
        failed |= run.status == "failed"
    if not no_index:
        click.echo(jobs.describe_index(jobs.index_changes(svc)))
    if failed:
        sys.exit(1)


def _progress_line(name: str):
    """A one-line live counter on an interactive terminal; nothing when output is piped."""
    if not sys.stdout.isatty():
        return None

    def show(resource: str, totals) -> None:
        click.echo(f"\r\x1b[2K  sync {name}: {resource} — fetched {totals.fetched}, "
                   f"created {totals.created}, updated {totals.updated}, "
                   f"failed {totals.failed}", nl=False)

    return show


def _end_progress_line() -> None:
    if sys.stdout.isatty():
        click.echo("\r\x1b[2K", nl=False)


@sync.command("status")
@click.option("--connection", "connection_name", help="Only this connection.")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Runs shown per connection.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's shape).")
def sync_status(connection_name, runs, as_json) -> None:
    """Per connection: the last runs, counts, duration, request rate vs. budget, errors."""
    with services().session_factory() as session:
        rows = status_mod.connection_status(session, runs=runs)
    if connection_name:
        rows = [r for r in rows if r["connection"] == connection_name]
        if not rows:
            raise click.BadParameter(f"no connection named {connection_name!r}",
                                     param_hint="--connection")
    if as_json:
        click.echo(json.dumps({"connections": rows}, indent=2))
        return
    for row in rows:
        click.echo(_format_status(row))


def _format_status(row: dict[str, Any]) -> str:
    head = (f"{row['connection']} ({row['ats']}{'' if row['enabled'] else ', disabled'}"
            f"{', syncing now' if row['syncing'] else ''}): {row['candidates']} candidates, "
            f"data as of {row['as_of'] or 'never'}, "
            f"{row['pending_webhook_events']} webhook event(s) pending")
    lines = [head]
    for run in row["runs"]:
        counts = run["counts"] or {}
        rate = (f"{run['request_rate']:.2f}/s of {run['rate_budget']:.2f}/s budget"
                if run["request_rate"] is not None and run["rate_budget"] else
                f"{run['requests']} requests")
        took = f"{run['duration_s']:.0f}s" if run["duration_s"] is not None else "running"
        lines.append(
            f"  #{run['id']} {run['kind']:<11} {run['status']:<9} {run['started_at'][:19]} {took:>7}  "
            f"fetched {counts.get('fetched', 0)} created {counts.get('created', 0)} "
            f"updated {counts.get('updated', 0)} deleted {counts.get('deleted', 0)} "
            f"failed {counts.get('failed', 0)}  {rate}")
        if run["error"]:
            lines.append(f"      error: {run['error']}")
    return "\n".join(lines)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index (zero downtime).")
def index(rebuild) -> None:
    """Index people whose records changed since the last run (or rebuild everything)."""
    svc = services()
    stats = jobs.rebuild_index(svc) if rebuild else jobs.index_changes(svc)
    click.echo(jobs.describe_index(stats))


@cli.command()
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email, yes) -> None:
    """GDPR erase: remove everyone with EMAIL from the store, the index and the file cache."""
    from rediscover.web.erase import erase_person

    if not yes:
        click.confirm("Erase every record with this email from Rediscover?", abort=True)
    result = erase_person(services(), email, actor="cli")
    click.echo(f"erased {result.candidates} record(s) of {result.people} person(s) and "
               f"{result.files} cached file(s) from {', '.join(result.connections) or 'nothing'}; "
               f"audit line #{result.audit_id}")
    click.echo("the ATS still has them: erase them there too, or the next sync brings them back")


# --------------------------------------------------------------------------- search

# Tri-state flags whose False is a filter of its own, not "not given".
FALSE_FILTERS = ("has_resume_text", "safe_to_reengage")


@cli.command()
@click.argument("query", required=False)
@click.option("--as", "as_user", help="Search as this user (email); default: the only user.")
@click.option("--job", "job_ids", multiple=True, type=int, help="Job id (repeatable).")
@click.option("--job-title", help="Job title contains.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable; all must match).")
@click.option("--source", "sources", multiple=True, help="Source name (repeatable).")
@click.option("--rejection-reason", "rejection_reasons", multiple=True, help="Rejection reason (repeatable).")
@click.option("--reached-stage", type=click.Choice(MILESTONES), help="Reached at least this milestone.")
@click.option("--scorecard-ratio", type=float, help="Positive scorecard share at least (0-1).")
@click.option("--exclude-strong-no", is_flag=True, help="Drop people with a strong-no scorecard.")
@click.option("--last-in-process-before", help="Date or timestamp (UTC).")
@click.option("--last-in-process-after", help="Date or timestamp (UTC).")
@click.option("--applied-before", help="Date or timestamp (UTC).")
@click.option("--applied-after", help="Date or timestamp (UTC).")
@click.option("--email", "emails", multiple=True, help="Exact email (repeatable).")
@click.option("--include-active", is_flag=True, help="Include people currently in process.")
@click.option("--has-resume-text/--no-resume-text", default=None,
              help="Only people with (or without: image-only, encrypted, none) resume text.")
@click.option("--shared-reason", "shared_reasons", multiple=True, type=click.Choice(list(SHARED_REASONS)),
              help="Shared rejection reason (repeatable).")
@click.option("--safe-to-reengage/--not-safe-to-reengage", default=None,
              help="Shared rejection reason safe to re-engage (or not).")
@click.option("--assessment-min", type=float, help="Finished assessment score at least (percent).")
@click.option("--video-interview-completed", is_flag=True, help="Finished a video interview.")
@click.option("--references-completed", is_flag=True, help="Reference check finished.")
@click.option("--sort", type=click.Choice(["best_match", "relevance", "last_in_process"]))
@click.option("--limit", type=int)
@click.option("--cursor", help="Cursor from a previous page (next_cursor).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(query, as_user, as_json, **options) -> None:
    """Search people: `rediscover search "python AND kafka" --reached-stage onsite`."""
    filters: dict[str, Any] = {k: (list(v) if isinstance(v, tuple) else v)
                               for k, v in options.items()
                               if v not in (None, ()) and (v is not False or k in FALSE_FILTERS)}
    if query:
        filters["query"] = query
    try:
        request = SearchRequest.from_dict(filters)
        svc = services()
        viewer = _viewer(svc.session_factory, as_user)
        page = search_mod.search(svc.backend, request, viewer, weights=svc.weights)
    except InvalidQuery as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{(exc.field or 'query').replace('_', '-')}")
    except SearchUnavailable as exc:
        raise click.ClickException(f"search is unavailable: {exc}") from None
    if as_json:
        click.echo(json.dumps(_page_json(page), indent=2, ensure_ascii=False))
    else:
        click.echo(_format_table(page))


def _page_json(page) -> dict[str, Any]:
    """The documented ``search --json`` shape."""
    return {
        "total": page.total,
        "total_is_lower_bound": page.total_is_lower_bound,
        "results": [
            {
                "person_id": r.person_id,
                "name": r.name,
                "emails": r.emails,
                "title": r.title,
                "company": r.company,
                "last_in_process": r.last_in_process.isoformat() if r.last_in_process else None,
                "job_title": r.job_title,
                "stage": r.stage,
                "milestone": r.milestone,
                "source": r.source,
                "rejection_reason": r.rejection_reason,
                "scorecards": vars(r.scorecards),
                "origins": r.origins,
                "has_resume_text": r.has_resume_text,
                "score": r.score,
                "contributions": r.contributions,
                "why": r.why,
            }
            for r in page.results
        ],
        "next_cursor": page.next_cursor,
    }


def _format_table(page) -> str:
    lines = [f"{page.total}{'+' if page.total_is_lower_bound else ''} people"]
    for r in page.results:
        last = r.last_in_process.date().isoformat() if r.last_in_process else "-"
        cards = r.scorecards
        lines.append(
            f"{r.person_id:>7}  {r.name[:28]:<28} {last}  {(r.stage or '-')[:24]:<24} "
            f"{(r.rejection_reason or '-')[:30]:<30} +{cards.positive}/-{cards.negative}"
            f"{' SN' if cards.strong_no else ''}"
        )
    if page.next_cursor:
        lines.append(f"more: --cursor {page.next_cursor}")
    return "\n".join(lines)


def _viewer(session_factory, email: str | None) -> Viewer:
    with session_factory() as session:
        if email:
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise click.BadParameter(f"no user {email!r}", param_hint="--as")
        else:
            users = session.scalars(select(User).where(User.active.is_(True)).limit(2)).all()
            if len(users) != 1:
                raise click.UsageError("say who is searching with --as EMAIL "
                                       "(add users with `rediscover users add`)")
            user = users[0]
        return Viewer(team_id=user.team_id, access_tokens=accounts.access_tokens(user), user_id=user.id)


# --------------------------------------------------------------------------- person merges


@cli.group()
def merges() -> None:
    """Explain and correct person merges (records joined by email or phone)."""


@merges.command("explain")
@click.argument("person_id", type=int)
def merges_explain(person_id) -> None:
    """Why PERSON_ID's records are one person, and probable duplicates (never auto-merged)."""
    with services().session_factory() as session:
        reasons = merge.explain_person(session, person_id)
        labels = merge.record_labels(
            session, {i for r in reasons for i in (r.candidate_id, r.linked_candidate_id)}
        )
        for r in reasons:
            click.echo(f"{labels[r.candidate_id]} joined {labels[r.linked_candidate_id]} "
                       f"by {r.kind} {r.value}")
        if not reasons:
            click.echo(f"person {person_id}: one record, nothing merged")
        for d in merge.suggest_duplicates(session, person_id):
            click.echo(f"possible duplicate: person {d.person_id} {d.name!r} "
                       f"(name {d.score:.0f}%, same {', '.join(d.reasons)})")


@merges.command("split")
@click.argument("record")
@click.option("--by", default=None, help="Who decided (kept with the rule).")
def merges_split(record, by) -> None:
    """Separate RECORD (CONNECTION:REMOTE_ID or record id) from its person, for good."""
    svc = services()
    with svc.session_factory.begin() as session:
        try:
            affected = merge.split_candidate(session, merge.find_record(session, record), by=by)
        except UnknownRecordError as exc:
            raise click.BadParameter(str(exc), param_hint="RECORD") from None
    click.echo(f"{record} split off; people affected: {sorted(affected)}")
    click.echo(jobs.describe_index(jobs.index_changes(svc)))


@merges.command("unsplit")
@click.argument("record")
@click.argument("other")
def merges_unsplit(record, other) -> None:
    """Drop the split rule between RECORD and OTHER, so shared keys join them again."""
    svc = services()
    with svc.session_factory.begin() as session:
        try:
            a, b = merge.find_record(session, record), merge.find_record(session, other)
        except UnknownRecordError as exc:
            raise click.BadParameter(str(exc), param_hint="RECORD") from None
        merge.unsplit_candidates(session, a, b)
    click.echo(jobs.describe_index(jobs.index_changes(svc)))


# --------------------------------------------------------------------------- users


@cli.group()
def users() -> None:
    """Manage users and their API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--name", default="")
@click.option("--team", default="Default", show_default=True)
@click.option("--role", type=click.Choice([r.value for r in UserRole]), default="recruiter",
              show_default=True)
@click.option("--ats-user", "ats_users", multiple=True, metavar="CONNECTION=USER_ID",
              help="This person's user id in a connected ATS (decides confidential jobs).")
@click.option("--password", envvar="REDISCOVER_NEW_USER_PASSWORD",
              help="A password for the UI login (or set it later with `users password`).")
def users_add(email, name, team, role, ats_users, password) -> None:
    """Add a user and print their API token (shown once)."""
    with services().session_factory.begin() as session:
        team_row = accounts.get_or_create_team(session, team)
        identities = {}
        for item in ats_users:
            conn_name, _, remote = item.partition("=")
            conn = session.scalar(select(Connection).where(Connection.name == conn_name))
            if conn is None or not remote:
                raise click.BadParameter(f"{item!r}: expected CONNECTION=USER_ID of a known connection",
                                         param_hint="--ats-user")
            identities[conn] = remote
        if session.scalar(select(User).where(User.email == email.strip().lower())):
            raise click.BadParameter(f"user {email!r} exists", param_hint="EMAIL")
        try:
            user, token = accounts.create_user(session, team_row, email, name=name, role=role,
                                               ats_identities=identities, password=password)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--password") from None
        click.echo(f"user {user.email} ({role}, team {team_row.name}) added; API token: {token}")


@users.command("password")
@click.argument("email")
@click.password_option(help="The new password (prompted for, twice, when not given).")
def users_password(email, password) -> None:
    """Set the UI login password of EMAIL."""
    with services().session_factory.begin() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.BadParameter(f"no user {email!r}", param_hint="EMAIL")
        try:
            accounts.set_password(user, password)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--password") from None
        click.echo(f"password of {user.email} set")


@users.command("token")
@click.argument("email")
def users_token(email) -> None:
    """Issue a new API token for EMAIL (the old one stops working)."""
    with services().session_factory.begin() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.BadParameter(f"no user {email!r}", param_hint="EMAIL")
        click.echo(accounts.rotate_token(session, user))


# --------------------------------------------------------------------------- serve and demo


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--with-scheduler", is_flag=True,
              help="Also run the sync schedule in this process (see `rediscover scheduler`).")
def serve(host, port, with_scheduler) -> None:
    """Serve the API and the search page."""
    scheduler = None
    if with_scheduler:
        from rediscover.web import schedule

        scheduler = schedule.start(services())
    try:
        jobs.serve_app(current_app._get_current_object(), host, port)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@cli.command()
def scheduler() -> None:
    """Run the sync schedule: nightly full re-syncs and frequent incrementals, then indexing."""
    import time

    from rediscover.web import schedule

    try:
        sched = schedule.start(services())
    except schedule.ScheduleConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for job in sched.get_jobs():
        click.echo(f"{job.id}: next run {job.next_run_time:%Y-%m-%d %H:%M:%S %Z}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sched.shutdown()


@cli.command(with_appcontext=False)
@click.option("--people", default=300, show_default=True, help="How many people to generate.")
@click.option("--data-dir", default="var/demo", show_default=True, help="Where the demo database goes.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up and search once, then exit.")
def demo(people, data_dir, host, port, no_serve) -> None:
    """Fresh machine to working search: fake Greenhouse, sync, index, serve."""
    from rediscover.web import demo as demo_mod

    demo_mod.run_demo(people=people, data_dir=data_dir, host=host, port=port, serve=not no_serve)


if __name__ == "__main__":  # pragma: no cover
    main()

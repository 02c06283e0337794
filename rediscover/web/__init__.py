"""The Flask app factory, JSON API, UI and the ``rediscover`` CLI (the composition root)."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from rediscover.web import config as app_config


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``REDISCOVER_*`` variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(app_config.defaults())
    app.config.from_prefixed_env("REDISCOVER")
    if test_config:
        app.config.from_mapping(test_config)
    app_config.check(app.config)
    if not app.config["SECRET_KEY"]:
        # Sessions only matter for the UI; a per-process key is fine until one is configured.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    from rediscover.web import admin, api, errors, sequences, ui, webhooks, wiring

    wiring.init_services(app)
    errors.register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(sequences.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(webhooks.bp)
    return app

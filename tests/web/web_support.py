"""Helpers shared by the web tests (a module of its own: test modules cannot import conftest)."""
from __future__ import annotations

PASSWORD = "correct horse battery"


def login(client, email: str, password: str = PASSWORD):
    """Log ``client`` in through the form; returns the CSRF token of the session."""
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    response = client.post("/login", data={"email": email, "password": password, "csrf": csrf})
    assert response.status_code == 302, response.data
    with client.session_transaction() as sess:
        return sess["csrf"]

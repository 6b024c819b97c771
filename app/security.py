"""Response headers every route carries: who may frame the app, no MIME sniffing, referrer policy.

Why ``frame-ancestors`` and no ``X-Frame-Options``: the CSP directive can name the intranet origins
that embed Mauzo (``MAUZO_FRAME_ANCESTORS``), which ``X-Frame-Options`` cannot; sending both with
different meanings would leave the outcome to each browser, so any ``X-Frame-Options`` is removed.
Only ``frame-ancestors`` is set in the policy: a full script policy would need Dash's inline config.

Cookies: Mauzo sets none (HTTP Basic, API tokens and signed links carry their credentials in each
request), so an embed works where third-party cookies are blocked and there is no cookie for a
cross-site request to ride on. Should Flask's session ever be used, its cookie defaults to
``HttpOnly; SameSite=Lax`` (docs/security.md says when ``SameSite=None; Secure`` is needed).
"""

from __future__ import annotations

from flask import Flask, Response

from app.config import Settings


def security_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": f"frame-ancestors {settings.frame_ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.referrer_policy,
    }


def init_security_headers(server: Flask) -> None:
    headers = security_headers(server.config["MAUZO_SETTINGS"])
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")

    frame_rule = headers.pop("Content-Security-Policy")

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers.pop("X-Frame-Options", None)
        policy = response.headers.get("Content-Security-Policy", "")
        if "frame-ancestors" not in policy:  # a route's own policy keeps its rules and gains ours
            combined = f"{policy.rstrip('; ')}; {frame_rule}" if policy else frame_rule
            response.headers["Content-Security-Policy"] = combined
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

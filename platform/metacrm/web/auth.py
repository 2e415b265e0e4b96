"""Who is asking: a signed-in session (Flask-Login) or a personal API token (``Bearer``).

Every request that acts resolves to one explicit ``Actor`` here; views pass it on to the
RecordService. Nothing below the web layer knows about sessions or headers.

    actor = current_actor()      # an Actor, or None for an anonymous request
    actor = api_actor()          # the same, or 401; a session (not a token) also needs the
                                 # CSRF token on POST/PATCH/PUT/DELETE
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, Flask, current_app, g, redirect, render_template, request,
                   url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import Unauthorized
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from ..runtime import Actor, token_hash

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

blueprint = Blueprint("auth", __name__)
csrf = CSRFProtect()


class SessionUser(UserMixin):
    """What Flask-Login keeps for a signed-in person: their Actor. The session (and the
    remember-me cookie) hold ``user_id:stamp``, the stamp drawn from the user's password hash
    (``Accounts.session_stamp``): a new password ends every other session of the user."""

    def __init__(self, actor: Actor, stamp: str = ""):
        self.actor = actor
        self.id = actor.user_id
        self.stamp = stamp

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}" if self.stamp else self.id


def init_app(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.user_loader(_load_session_user)
    csrf.init_app(app)
    app.register_blueprint(blueprint)


def _runtime():
    return current_app.extensions["metacrm"].runtime()


def _load_session_user(session_id: str) -> SessionUser | None:
    """Per request: the session's user, if they are still active and their password is the
    one the session was signed in with (else the request is anonymous)."""
    user_id, _, stamp = session_id.partition(":")
    runtime = _runtime()
    actor = runtime.accounts.actor(user_id, stamp=stamp) if runtime is not None else None
    return SessionUser(actor, stamp) if actor is not None else None


def sign_in(actor: Actor, remember: bool = False) -> None:
    """Start a session for ``actor`` (stamped with their password, see SessionUser)."""
    login_user(SessionUser(actor, _runtime().accounts.session_stamp(actor.user_id)),
               remember=remember)


def refresh_session() -> None:
    """After the signed-in user changed their own password: keep this session (and its
    remember-me cookie) signed in under the new stamp; their other sessions end."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") \
        in request.cookies
    sign_in(current_user.actor, remember=remembered)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def current_actor() -> Actor | None:
    """The Actor of this request (remembered for the request), or None when anonymous."""
    if "metacrm_actor" in g:
        return g.metacrm_actor
    actor = None
    token = bearer_token()
    if token is not None:
        runtime = _runtime()
        actor = runtime.accounts.actor_for_token(token) if runtime is not None else None
    elif current_user.is_authenticated:
        actor = current_user.actor
    g.metacrm_actor = actor
    return actor


def api_actor() -> Actor:
    """The Actor of an API request; Unauthorized (401) when there is none. A browser session
    may call the API too, but then changes need the CSRF token (``X-CSRFToken``), or any site
    the user visits could make them."""
    actor = current_actor()
    if actor is None:
        raise Unauthorized("sign in, or send a personal API token as 'Authorization: Bearer …'")
    if bearer_token() is None and request.method not in SAFE_METHODS:
        csrf.protect()
    return actor


def rate_limit_key() -> str:
    """Rate limits count per API token, else per client address."""
    token = bearer_token()
    if token is not None:
        return "token:" + token_hash(token)
    return "addr:" + (request.remote_addr or "unknown")


# -- sign-in pages ------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a ``next`` pointing elsewhere would make sign-in a redirector."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("ui.home") if "ui.home" in current_app.view_functions else "/"


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        runtime = _runtime()
        actor = (runtime.accounts.authenticate(form.username.data, form.password.data)
                 if runtime is not None else None)
        if actor is not None:
            sign_in(actor, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        error = "Wrong username or password."
    status = 401 if error else 200
    return render_template("login.html", form=form, error=error), status


@blueprint.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))

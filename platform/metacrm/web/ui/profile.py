"""The signed-in user's own page (any user, admin or not): their name and email, their
password, their personal API tokens.

    GET  /profile                              the page
    POST /profile                              full_name, email
    POST /profile/password                     current_password, new_password, confirm
    POST /profile/tokens                       name: a new token, shown once on the page
    POST /profile/tokens/<token_id>/revoke     one of their own tokens

Forms are Flask-WTF (CSRF-checked like every form). A change goes through ``Accounts``:
the name and email as the user themselves (``update_profile``), the password only with the
current one (``change_password``; it signs out the user's other sessions; tried at most
``RATELIMIT_LOGIN``, like sign-in). Errors come back on the page, beside the field; nothing
changes. The page is a blueprint of its own (``profile``, set up by ``init_app``): it is
about the person, not about records, and shows for every user whatever their roles.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ...runtime import RecordInvalid, RecordNotFound
from ..auth import refresh_session
from .common import actor, page, runtime

blueprint = Blueprint("profile", __name__)


class DetailsForm(FlaskForm):
    full_name = StringField("Full name", validators=[Optional(), Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Length(max=254)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new_password", message="Does not match the new password.")])


class TokenForm(FlaskForm):
    name = StringField("What it is for", validators=[Optional(), Length(max=100)])


class RevokeForm(FlaskForm):
    """Nothing but the CSRF token."""


#: RecordInvalid's field -> the form field it belongs to
_FIELDS = {"password": "new_password", "current_password": "current_password",
           "full_name": "full_name", "email": "email"}


def _show(status: int = 200, *, details=None, password=None, token_form=None,
          new_token: str | None = None):
    rt, who = runtime(), actor()
    accounts = rt.accounts
    me = accounts.user_view(who.user_id)
    if details is None:
        details = DetailsForm(data={"full_name": me["full_name"], "email": me["email"]})
    response = page("profile", None, me=me, details=details,
                    password=password or PasswordForm(formdata=None),
                    token_form=token_form or TokenForm(formdata=None), revoke=RevokeForm(),
                    tokens=accounts.list_tokens(who.user_id), new_token=new_token,
                    role_labels={name: role.label or name
                                 for name, role in rt.catalog.roles.items()})
    headers = {"Cache-Control": "no-store"}  # a new token is on it; never kept by a cache
    return response, status, headers


def _errors_onto(form: FlaskForm, error: RecordInvalid) -> None:
    for field, messages in error.messages.items():
        target = getattr(form, _FIELDS.get(field, ""), None)
        for message in messages:
            if target is not None:
                target.errors = [*target.errors, message[:1].upper() + message[1:]]
            else:
                flash(message, "danger")


@blueprint.route("/profile")
@login_required
def show():
    return _show()


@blueprint.route("/profile", methods=["POST"])
@login_required
def details():
    who = actor()
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            runtime().accounts.update_profile(
                who.user_id, full_name=form.full_name.data.strip() or None,
                email=form.email.data.strip() or None)
        except RecordInvalid as error:
            _errors_onto(form, error)
            return _show(422, details=form)
        flash("Your name and email were saved.", "success")
        return redirect(url_for("profile.show"), 303)
    return _show(422, details=form)


@blueprint.route("/profile/password", methods=["POST"])
@login_required
def password():
    who = actor()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            runtime().accounts.change_password(who.user_id, form.current_password.data,
                                               form.new_password.data)
        except RecordInvalid as error:
            _errors_onto(form, error)
            return _show(422, password=form)
        refresh_session()  # this session stays signed in; the user's others end
        flash("Your password was changed. Other sessions of yours were signed out.", "success")
        return redirect(url_for("profile.show"), 303)
    return _show(422, password=form)


@blueprint.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    who = actor()
    form = TokenForm()
    if not form.validate_on_submit():
        return _show(422, token_form=form)
    token = runtime().accounts.create_token(who.user_id, name=form.name.data.strip() or None)
    # rendered, not redirected: the token is shown this once and never stored
    return _show(201, new_token=token)


@blueprint.route("/profile/tokens/<token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: str):
    who = actor()
    if RevokeForm().validate_on_submit():
        try:
            done = runtime().accounts.revoke_token(token_id, user_id=who.user_id)
        except RecordNotFound:
            done = False
        flash("The token was revoked: it no longer works." if done else
              "That token was revoked already (or is not yours).",
              "success" if done else "warning")
    return redirect(url_for("profile.show"), 303)


@blueprint.errorhandler(503)
def _error_page(error):
    return render_template("error.html", error=error), error.code


@blueprint.errorhandler(CSRFError)
def _stale_form(error: CSRFError):
    error.description = ("This page was open too long or you were signed out, so it was not "
                         "sent. Go back, reload the page and send it again.")
    return render_template("error.html", error=error), 400


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    limiter = app.extensions.get("metacrm_limiter")
    if limiter is not None:  # guessing the current password is guessing a password
        app.view_functions["profile.password"] = limiter.limit(
            app.config["RATELIMIT_LOGIN"], methods=["POST"])(app.view_functions["profile.password"])

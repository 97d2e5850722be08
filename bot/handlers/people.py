"""Slack user lookups: a person's user id from their email, and their email from the user id.

Both directions are cached in the store (table ``slack_user``) for
``slack.lookup_cache_hours``, found or not found, so a batch of questions
does not call ``users.lookupByEmail`` once per item, and someone who joins
Slack later is found after the cache expires.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.store.database import Store
from bot.store.questions import cache_user, cached_user, email_of_user

log = logging.getLogger(__name__)


class Directory:
    def __init__(self, store: Store, client: WebClient, cache_hours: float) -> None:
        self.store = store
        self.client = client
        self.max_age = timedelta(hours=cache_hours)

    def user_id(self, email: str) -> str | None:
        """Return the Slack user id of an email, or None when Slack has no active user with it."""
        email = email.lower()
        with self.store.session() as session:
            row = cached_user(session, email)
            if row is not None and datetime.now(timezone.utc) - row.looked_up_at < self.max_age:
                return row.user_id

        try:
            response = self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                raise
            log.info("no Slack user has the email of a person asked")
            user_id, name = None, ""
        else:
            user = response["user"]
            deleted = user.get("deleted", False)
            user_id = None if deleted else user["id"]
            name = user.get("real_name") or user.get("name", "")

        with self.store.session() as session:
            cache_user(session, email, user_id, name)
        return user_id

    def email(self, user_id: str) -> str | None:
        """Return the email of a Slack user, from the cache or ``users.info``; None when Slack shows none."""
        with self.store.session() as session:
            email = email_of_user(session, user_id)
        if email is not None:
            return email

        try:
            response = self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "user_not_found":
                raise
            return None
        user = response["user"]
        email = (user.get("profile") or {}).get("email")
        if not email:
            log.warning("Slack user %s has no email visible to the app; is the users:read.email scope granted?",
                        user_id)
            return None
        with self.store.session() as session:
            cache_user(session, email, user["id"], user.get("real_name") or user.get("name", ""))
        return email.lower()


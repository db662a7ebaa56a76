"""Types shared by every context."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

# The user of a request or a service call: the project keeps Django's own user model
# (AUTH_USER_MODEL is not set), signed in or not.
AnyUser = User | AnonymousUser


def signed_in(user: AnyUser) -> User:
    """The user as the ``User`` they are, where the caller has already refused anyone
    not signed in (every action checks the role first); a ``TypeError`` otherwise."""
    if not isinstance(user, User):
        raise TypeError("a signed-in user is required here")
    return user

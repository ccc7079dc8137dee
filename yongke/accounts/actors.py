"""Who acts: a signed-in user, or the system itself for a stated reason.

Every service that writes takes a required keyword `actor: Actor`. A person acts as their
`User`; the console, the demo loader and scheduled work act as an explicit `System("…")`,
created where the reason is known (`System("cli")`, `System("demo")`), never as a default.
A public page acts as Django's `AnonymousUser`, which holds no role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class System:
    """The system acting on its own authority (the console operator, the demo loader, a scheduler).

    It holds every role: whoever can run the console already owns the database. The reason
    is written to the audit log as the actor's name (``system:<reason>``).
    """

    reason: str

    def __post_init__(self) -> None:
        if not self.reason or not self.reason.strip():
            raise ValueError("System actor needs a reason, e.g. System('cli')")

    # Duck-typed like a user where faces and the audit log read an actor.
    pk = None
    id = None
    is_active = True
    is_authenticated = False
    is_superuser = False

    @property
    def username(self) -> str:
        return f"system:{self.reason}"

    def __str__(self) -> str:
        return self.username


type Actor = User | System
"""Who performs a write: a user, or the system for a stated reason."""

type Viewer = User | AnonymousUser | System
"""Who performs a read or a public write (registration, a public quote): possibly nobody signed in."""


def user_of(actor: Actor | Viewer) -> User | None:
    """The user to store as `created_by` / `uploaded_by`: None for the system or nobody."""
    return actor if isinstance(actor, User) else None

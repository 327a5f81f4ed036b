"""API tokens: the notebooks each reaches and how, and (Datalore 2026.2) its expiry, scope and notebook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from airflow_provider_datalore.emulator.checks import check_choice, check_object, is_number, show
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.notebooks import check_notebook_id

ACCESS_LEVELS = ("editor", "viewer")
ALL_NOTEBOOKS = "*"
#: ``full`` and ``notebook_api`` cover both the Run API and the Notebook API; ``run_api`` is a token made
#: before Datalore 2026.2 (or for the Run API only): the Notebook API answers it 403; ``other`` is a token
#: made for another API: both answer it 403.
TOKEN_SCOPES = ("full", "notebook_api", "run_api", "other")
#: The names of the APIs in the 403 of a token whose scope does not cover them.
_API_NAMES = {"run": "Run API", "notebook": "Notebook API"}
_TOKEN_KEYS = ("notebooks", "expires_at", "scope", "single_notebook")


@dataclass(frozen=True)
class ApiToken:
    """A token's access with its 2026.2 settings: when it expires, its scope, whether it has one notebook."""

    #: Notebook ID (or ``*``) -> ``editor`` or ``viewer``.
    notebooks: Mapping[str, str] = field(hash=False)
    #: Unix seconds from which the token is answered 401 "has expired"; None: never.
    expires_at: float | None = None
    scope: str = "full"
    #: The token was made for the one notebook in ``notebooks``: any other is answered 403.
    single_notebook: bool = False

    def __post_init__(self) -> None:
        check_access(self.notebooks)
        object.__setattr__(self, "notebooks", dict(self.notebooks))
        if self.expires_at is not None and not is_number(self.expires_at):
            raise ValueError(
                f"token 'expires_at' must be a number (unix seconds) or null, got {show(self.expires_at)}"
            )
        check_choice(self.scope, TOKEN_SCOPES, "token 'scope'")
        if not isinstance(self.single_notebook, bool):
            raise ValueError(f"token 'single_notebook' must be a boolean, got {show(self.single_notebook)}")
        if self.single_notebook and (len(self.notebooks) != 1 or ALL_NOTEBOOKS in self.notebooks):
            raise ValueError(
                "token 'single_notebook' needs exactly one notebook in 'notebooks' (not '*'), "
                f"got {show(list(self.notebooks))}"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApiToken:
        """Build a token from its JSON object form, raising ValueError on a bad key or value."""
        return cls(**check_object(data, _TOKEN_KEYS, "token", required=("notebooks",)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object form of this token."""
        return {
            "notebooks": dict(self.notebooks),
            "expires_at": self.expires_at,
            "scope": self.scope,
            "single_notebook": self.single_notebook,
        }

    def authentication_error(self, now: float, api: str = "run") -> ApiError | None:
        """
        Return the error answering any request to ``api`` made with this token at ``now``, if any.

        :param now: unix seconds.
        :param api: ``run`` (the Run API and its interactive call) or ``notebook`` (the Notebook API).
        """
        if self.expires_at is not None and now >= self.expires_at:
            return ApiError(401, "The API token has expired")
        if self.scope == "other" or (self.scope == "run_api" and api == "notebook"):
            return ApiError(403, f"The API token's scope does not cover the {_API_NAMES[api]}")
        return None

    def limit_error(self, notebook_id: str) -> ApiError | None:
        """Return the 403 for a request about ``notebook_id`` when the token is made for another one."""
        if self.single_notebook and notebook_id not in self.notebooks:
            (only,) = self.notebooks
            return ApiError(403, f"This API token is limited to notebook {only}")
        return None


#: A token's settings in a config: its access map (today's form) or an ApiToken (the object form).
TokenSettings: TypeAlias = Mapping[str, str] | ApiToken


def parse_token_settings(value: Any) -> dict[str, str] | ApiToken:
    """Return a config's token value checked: an access map as a dict, or an ApiToken."""
    if isinstance(value, ApiToken):
        return value
    if isinstance(value, Mapping) and any(key in value for key in _TOKEN_KEYS):
        return ApiToken.from_dict(value)
    check_access(value)
    return dict(value)


def as_api_token(value: TokenSettings) -> ApiToken:
    """Return a config's token value as an ApiToken (an access map is a token without 2026.2 settings)."""
    return value if isinstance(value, ApiToken) else ApiToken(notebooks=value)


def token_to_json(value: TokenSettings) -> dict[str, Any]:
    """Return the JSON form of a config's token value, in the form it was given."""
    return value.to_dict() if isinstance(value, ApiToken) else dict(value)


def check_token(token: Any) -> None:
    """Raise ValueError unless ``token`` is a non-empty string."""
    if not isinstance(token, str) or not token:
        raise ValueError(f"a token must be a non-empty string, got {show(token)}")


def check_access(access: Any) -> None:
    """Raise ValueError unless ``access`` maps notebook ids (or ``*``) to ``editor``/``viewer``."""
    if not isinstance(access, Mapping):
        raise ValueError(f"token access must be an object of notebook id -> access level, got {show(access)}")
    for notebook_id, level in access.items():
        if notebook_id != ALL_NOTEBOOKS:
            check_notebook_id(notebook_id, "token access key")
        check_choice(level, ACCESS_LEVELS, f"access to {notebook_id!r}")

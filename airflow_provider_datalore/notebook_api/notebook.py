"""``NotebookRef``: the ``notebookId`` object of the Notebook API, made from the provider's ``owner/id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.urls import normalize_notebook_id


@dataclass(frozen=True, slots=True)
class NotebookRef:
    """
    A notebook as the Notebook API names it: the two parts of its URL, as an object.

    :param owner_id: The owner part of ``/notebook/<owner>/<id>``.
    :param id: The notebook part.
    """

    owner_id: str
    id: str

    @classmethod
    def from_notebook_id(cls, notebook_id: str) -> NotebookRef:
        """Return the object for a checked ``"owner/id"`` (``urls.normalize_notebook_id``'s result)."""
        owner, _, notebook = notebook_id.partition("/")
        if not owner or not notebook or "/" in notebook:
            raise ValueError(f"notebook id {notebook_id!r} is not valid; expected 'owner/notebook'")
        return cls(owner, notebook)

    @classmethod
    def parse(cls, notebook_id: str, base_url: str) -> NotebookRef:
        """Return the object for what a user wrote: ``owner/id`` or the notebook's URL on ``base_url``."""
        return cls.from_notebook_id(normalize_notebook_id(notebook_id, base_url=base_url))

    @property
    def notebook_id(self) -> str:
        """The provider's ``"owner/id"`` form, as the Run API takes it."""
        return f"{self.owner_id}/{self.id}"

    def to_json(self) -> dict[str, Any]:
        """Return the ``notebookId`` value of a request body."""
        return {"ownerId": self.owner_id, "id": self.id}

    def to_query(self) -> tuple[tuple[str, str], ...]:
        """Return the query parameters an upload names the notebook with (it has no JSON body)."""
        return (("ownerId", self.owner_id), ("notebookId", self.id))

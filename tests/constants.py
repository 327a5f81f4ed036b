"""Values the tests share."""

from __future__ import annotations

#: The API token of the test connections: recognisable, so a test can prove it leaks nowhere.
TOKEN = "dl-test-token-5f3a9c1e7b"

"""``LoopLocal``: one object per running event loop, such as what a triggerer's triggers share."""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


class LoopLocal(Generic[T]):
    """The ``factory()`` of each running event loop: made on first use, dropped with its loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        """Return the running event loop's object, making it if needed."""
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is None:
            value = self._values[loop] = self._factory()
        return value

"""The query models of a server process: a few instances of the index's model that reads embed with.

Reads never wait for the writer's model, which embeds uploads; they wait only for each other, first
come first served, and for at most one slice of another request's texts.
"""

from __future__ import annotations

import collections
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

RECENT_QUERIES = 4096  # query vectors kept in memory, looked up without any model lock
# texts embedded per turn with a model: a 20,000-character /similar is some 50 parts, and a search
# waits for at most one slice of them instead of all (about 0.3 s instead of 8 s on one core)
ENCODE_SLICE = 4


class FairPool:
    """Model instances handed out first come, first served: an instance given back goes straight to
    the thread that has waited longest (a long request taking it back at once would starve searches)."""

    def __init__(self, items: list[Any]) -> None:
        self._free = collections.deque(items)
        self._waiting: collections.deque[list[Any]] = collections.deque()  # each waiter's [event, item]
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._free and not self._waiting:
                return self._free.popleft()
            ticket: list[Any] = [threading.Event(), None]
            self._waiting.append(ticket)
        ticket[0].wait()
        return ticket[1]

    def put(self, item: Any) -> None:
        with self._lock:
            if self._waiting:
                ticket = self._waiting.popleft()
                ticket[1] = item
                ticket[0].set()
            else:
                self._free.append(item)


class QueryEmbedders:
    """A few instances of the index's model for reads, one slice of texts at a time each.

    A vector already computed is answered from memory without taking an instance; the others
    wait only for each other, never for the writer's model, and a long request gives its instance
    back after every ``ENCODE_SLICE`` texts, so a search never waits behind a whole proposal.
    """

    def __init__(self, models: list[Any]) -> None:
        self.model_id = models[0].model_id
        self.dim = models[0].dim
        self._free = FairPool(list(models))
        self._recent: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()  # held for dict operations only

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing = []
        with self._recent_lock:
            for row, text in enumerate(texts):
                vector = self._recent.get((is_query, text))
                if vector is None:
                    missing.append(row)
                else:
                    out[row] = vector
                    self._recent.move_to_end((is_query, text))
        if missing:
            vectors = np.empty((len(missing), self.dim), dtype=np.float32)
            for start in range(0, len(missing), ENCODE_SLICE):  # the model goes back between slices
                model = self._free.get()
                try:
                    encode = model.encode_queries if is_query else model.encode_passages
                    vectors[start : start + ENCODE_SLICE] = encode([texts[row] for row in missing[start : start + ENCODE_SLICE]])
                finally:
                    self._free.put(model)
            with self._recent_lock:
                for row, vector in zip(missing, vectors):
                    out[row] = vector
                    self._recent[(is_query, texts[row])] = vector
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), False)

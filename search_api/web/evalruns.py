"""The 评测 page's two tools: 命中测试 (one question, what each retriever returns, with confidence) and
a run of the office's judged set in a background thread, its progress polled by the page and its
result written where the page reads the newest (``WebSettings.eval_dir``).

One run at a time per server process; a run searches with the query models the searches use, one
question at a time, so staff searching meanwhile wait at most one search for it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from indexer.errors import ZhengceError
from search_api import request_schemas, schemas, words
from search_api.guards import StrictRoute
from search_api.responses import to_passage
from search_api.routes.search import confidence_floor
from search_api.web.api import index_of, web_state

router = APIRouter(prefix="/web/api", tags=["web page"], route_class=StrictRoute)  # the API's JSON guard
log = logging.getLogger("zhengce.api")
RETRIEVERS = (("bm25", "lexical", "关键词（BM25）"), ("dense", "dense", "语义（向量）"), ("hybrid", "hybrid", "综合（本系统默认）"))


class HitTestRequest(request_schemas.Request):
    query: str = Field(..., min_length=1, max_length=2000, pattern=request_schemas.VISIBLE)
    top_k: int = Field(5, ge=1, le=20)


class RetrieverHits(BaseModel):
    name: str
    label: str
    passages: list[schemas.Passage]


class HitTest(BaseModel):
    query: str
    floor: float | None
    retrievers: list[RetrieverHits]


@router.post("/hit-test", response_model=HitTest)
def hit_test(request: Request, body: HitTestRequest) -> HitTest:
    """The question searched by keywords, by meaning and by both, side by side."""
    index_of(request)
    service = request.app.state.service
    searcher = service.searcher
    floor = confidence_floor(service, searcher, "passage")
    found = []
    for name, mode, label in RETRIEVERS:
        hits = searcher.search(body.query, top_k=body.top_k, mode=mode)
        found.append(RetrieverHits(name=name, label=label, passages=[to_passage(h, floor=floor) for h in hits]))
    return HitTest(query=body.query, floor=floor, retrievers=found)


class RunState(BaseModel):
    state: Literal["idle", "running", "done", "failed"]
    done: int = Field(0, description="searches made")
    total: int = Field(0, description="searches to make: judged questions times retrievers")
    started_at: str | None = None
    finished_at: str | None = None
    result_file: str | None = Field(None, description="the result's file name in the evaluation folder")
    error: str | None = None
    message: str | None = Field(None, description="the error in words for staff")


class EvalRunner:
    """The one evaluation run of this process and where it stands."""

    def __init__(self) -> None:
        self.status = RunState(state="idle")
        self._lock = threading.Lock()

    def start(self, service: Any, state: Any) -> RunState:
        with self._lock:
            if self.status.state == "running":
                raise HTTPException(409, "an evaluation is already running")
            self.status = RunState(state="running", started_at=_now())
        marks = state.judgments.latest()
        thread = threading.Thread(target=self._run, args=(service, state, marks), name="zhengce-eval", daemon=True)
        thread.start()
        return self.status

    def _progress(self, searched: int, total: int) -> None:
        self.status = self.status.model_copy(update={"done": searched, "total": total})

    def _run(self, service: Any, state: Any, marks: list) -> None:
        from eval.staffset import evaluate_marks

        try:
            searcher = service.searcher
            if searcher is None:
                raise ZhengceError("the index is not loaded yet")
            results = evaluate_marks(marks, searcher.index, service.queries, done=self._progress,
                                     fusion=service.settings.fusion)
            state.eval_dir.mkdir(parents=True, exist_ok=True)
            path = state.eval_dir / f"staff-{time.strftime('%Y%m%d-%H%M%S')}.json"
            path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
            self.status = self.status.model_copy(update={"state": "done", "finished_at": _now(), "result_file": path.name})
        except (ZhengceError, OSError) as error:
            log.warning("evaluation of the staff marks failed: %s", error)
            said = words.for_error(error, 422) if isinstance(error, ZhengceError) else words.INTERNAL
            self.status = self.status.model_copy(update={"state": "failed", "finished_at": _now(), "error": str(error),
                                                         "message": said})
        except Exception as error:  # a bug: the run fails with a log line, the server goes on
            log.exception("evaluation of the staff marks failed")
            self.status = self.status.model_copy(update={"state": "failed", "finished_at": _now(), "error": repr(error),
                                                         "message": words.INTERNAL})


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


_runner_lock = threading.Lock()


def runner(request: Request) -> EvalRunner:
    with _runner_lock:
        found = getattr(request.app.state, "eval_runner", None)
        if found is None:
            found = request.app.state.eval_runner = EvalRunner()
    return found


@router.post("/evaluation/runs", response_model=RunState, status_code=202, responses={409: {"model": schemas.Error}})
def start_run(request: Request) -> RunState:
    """Evaluate the retrievers on the staff's marks, in the background (409 while one runs)."""
    index_of(request)
    return runner(request).start(request.app.state.service, web_state(request))


@router.get("/evaluation/runs/current", response_model=RunState)
def current_run(request: Request) -> RunState:
    """Where the latest run stands."""
    return runner(request).status

"""The staff web page: server-rendered Jinja2 pages whose scripts call the public JSON API.

Everything the page needs ships in this package (templates/, static/): intranets have no CDN.
Templates autoescape, and the scripts put document text into the page as text nodes only, so a
document containing markup is shown, never run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from search_api import sessions, words
from search_api.auth import ANONYMOUS, SCOPE_KEY, identify
from search_api.web.api import web_state
from search_api.web.evaluation import METRIC_WORDS, RETRIEVER_WORDS, latest_evaluation
from search_api.web.library import picker

HERE = Path(__file__).parent
STATIC = {path.name: path for path in (HERE / "static").iterdir() if path.suffix in {".js", ".css", ".svg"}}
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# the page loads scripts and styles from this server only; nothing inline runs
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")  # no other site frames a page or receives its forms
NAV = (("/", "检索"), ("/web/precedents", "找先例"), ("/web/reply", "拟答复"), ("/web/ask", "问答"), ("/web/library", "文档库"), ("/web/evaluation", "评测"))

router = APIRouter(include_in_schema=False)
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
templates.globals["upload"] = picker()  # the 文档库 picker: every format the readers read
templates.globals.update(metric_words=METRIC_WORDS, retriever_words=RETRIEVER_WORDS)


def page(request: Request, name: str, title: str, status_code: int = 200, **context: object) -> HTMLResponse:
    caller = request.scope.get(SCOPE_KEY, ANONYMOUS)
    html = templates.get_template(name).render(request=request, title=title, nav=NAV, path=request.url.path,
                                               caller=caller, words=words.CLIENT, **context)
    return HTMLResponse(html, status_code, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def template_page(name: str, title: str) -> Callable[[Request], HTMLResponse]:
    """A handler for a page that is its template alone: its script fetches all it shows."""

    def handler(request: Request) -> HTMLResponse:
        return page(request, name, title)

    return handler


TEMPLATE_PAGES = {"/": "search.html", "/web/precedents": "precedents.html", "/web/reply": "reply.html", "/web/ask": "ask.html",
                  "/web/library": "library.html"}
for route, title in NAV:
    if route in TEMPLATE_PAGES:
        name = TEMPLATE_PAGES[route]
        router.add_api_route(route, template_page(name, title), methods=["GET"], response_class=HTMLResponse,
                             name=name.replace(".html", "_page"))


@router.get("/web/doc/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: Annotated[str, PathParam(min_length=1, max_length=200)]) -> HTMLResponse:
    return page(request, "document.html", "原文", doc_id=doc_id)


@router.get("/web/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request) -> HTMLResponse:
    state = web_state(request)
    evaluation, skipped = latest_evaluation(state.eval_dir)
    marks = state.judgments.latest()
    counts = {
        "marks": len(marks),
        "queries": len({m.query for m in marks}),
        "relevant": sum(m.relevant for m in marks),
    }
    admin = request.scope.get(SCOPE_KEY, ANONYMOUS).role == "admin"  # server paths are for its administrators
    return page(
        request, "evaluation.html", "评测", evaluation=evaluation, skipped=skipped if admin else [], counts=counts,
        index_dir=request.app.state.service.settings.index_dir if admin else "<索引文件夹>",
        eval_dir=state.eval_dir if admin else "<评测结果文件夹>",
    )


@router.get("/web/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> HTMLResponse:
    return page(request, "signin.html", "登录", next=local_path(next), error=None)


@router.post("/web/signin", response_class=HTMLResponse)
def signin(request: Request, key: Annotated[str, Form(max_length=200)],
           next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """A key exchanged for a session cookie (``search_api.sessions``); a wrong key: the form again, 401."""
    caller = identify(request.app.state.service.settings, key)
    if caller is None:
        return page(request, "signin.html", "登录", status_code=401, next=local_path(next), error=words.WRONG_KEY)
    value = sessions.issue(request.app.state.service.settings, caller.name)
    hours = request.app.state.service.settings.session_hours
    return RedirectResponse(local_path(next), 303, headers={"Set-Cookie": sessions.set_cookie_header(value, int(hours * 3600))})


@router.post("/web/signout")
def signout() -> Response:
    return RedirectResponse("/web/signin", 303, headers={"Set-Cookie": sessions.set_cookie_header("", 0)})


def local_path(target: str) -> str:
    """Where to go after signing in: a path of this server only (never //other.site or a scheme)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get("/web/static/{name}")
def static_file(name: str) -> FileResponse:
    path = STATIC.get(name)
    if path is None:
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})

"""The staff web page (检索, 原文, 找先例, 拟答复, 问答, 文档库, 评测), as one router for the app."""

from fastapi import APIRouter

from search_api.web import api, evalruns, library, pages, viewer

router = APIRouter()
router.include_router(pages.router)
router.include_router(api.router)
router.include_router(viewer.router)
router.include_router(library.router)
router.include_router(evalruns.router)

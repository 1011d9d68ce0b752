"""The composition root: everything Pulse runs is built here, once, from one `Settings` —
`build_web` for the web app (`app.py` serves it), `build_worker` for `python -m bot.worker`,
both over `build_core` (the services without Teams).

It sits above every layer: the only module under bot/ that may import the dialogs; nothing
imports it but the entry points (app.py, bot.worker), scripts, benches and tests.
"""

from bot.composition.core import (
    Answering,
    Core,
    build_answering,
    build_approval_services,
    build_core,
    build_engine,
    build_ledger,
    build_publisher,
    build_source,
    sample_sentiment,
    x_user_auth,
)
from bot.composition.web import AnswerQueue, Components, build_web
from bot.composition.worker import WorkerComponents, build_answer_handler, build_worker

__all__ = [
    "AnswerQueue",
    "Answering",
    "Components",
    "Core",
    "WorkerComponents",
    "build_answer_handler",
    "build_answering",
    "build_approval_services",
    "build_core",
    "build_engine",
    "build_ledger",
    "build_publisher",
    "build_source",
    "build_web",
    "build_worker",
    "sample_sentiment",
    "x_user_auth",
]

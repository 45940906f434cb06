"""Classroom mode: rooms with a short code, questions built from real numbers, live answers, slides. UI-free."""

from attnviz.classroom.questions import Question, inspect_question, is_right, open_question, worked_question
from attnviz.classroom.slides import html_document, pptx_bytes, slide_steps
from attnviz.classroom.store import ClassroomError, LimitError, NotTeacherError, Store
from attnviz.classroom.tally import Tally, qr_png, tally, tally_figure

__all__ = [
    "ClassroomError", "LimitError", "NotTeacherError", "Question", "Store", "Tally", "html_document",
    "inspect_question", "is_right", "open_question", "pptx_bytes", "qr_png", "slide_steps", "tally",
    "tally_figure", "worked_question",
]

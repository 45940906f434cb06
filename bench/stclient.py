"""A minimal Streamlit browser stand-in: one websocket session that runs a page and reads what it drew.

It speaks Streamlit's own protocol (BackMsg/ForwardMsg protobufs over /_stcore/stream), so a load test can open
dozens of sessions on a 2-core machine without dozens of browsers. Loopback only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetStates


@dataclass
class RunResult:
    seconds: float
    codes: list[str] = field(default_factory=list)  # st.code bodies (the token strip lives there)
    alerts: list[str] = field(default_factory=list)  # st.error / st.warning / st.info bodies
    failures: list[str] = field(default_factory=list)  # the st.error and st.warning bodies among them
    exceptions: list[str] = field(default_factory=list)
    plotly_charts: int = 0
    text_area_id: str | None = None


class Session:
    """One browser tab: ``await Session.open(url, "Inspect")``, then ``run(text)`` as often as wanted."""

    def __init__(self, ws, page: str, query: dict | None = None) -> None:
        self.ws = ws
        self.page = page
        self.query = dict(query or {})  # extra URL parameters of the first run (e.g. example=model)
        self.page_hash = ""
        self.text_area_id: str | None = None

    @classmethod
    async def open(cls, url: str, page: str, query: dict | None = None) -> "Session":
        host = urlparse(url).netloc
        ws = await websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], max_size=None)
        return cls(ws, page, query)

    async def close(self) -> None:
        await self.ws.close()

    async def run(self, text: str | None = None, timeout_s: float = 120.0) -> RunResult:
        """Run the page: the first run passes ``text`` in the URL, later ones type it into the text area."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name = self.page
        if self.page_hash:
            state.page_script_hash = self.page_hash
        widgets = WidgetStates()
        if self.text_area_id is None:
            state.query_string = urlencode(self.query | ({"text": text} if text is not None else {}))
        else:
            widgets.widgets.add(id=self.text_area_id, string_value=text or "")
        state.widget_states.CopyFrom(widgets)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        result = RunResult(seconds=0.0)
        await asyncio.wait_for(self._collect(result), timeout_s)
        result.seconds = time.perf_counter() - start
        if result.text_area_id:
            self.text_area_id = result.text_area_id
        return result

    async def _collect(self, result: RunResult) -> None:
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "navigation":  # its page hashes are the ones a rerun must name
                for app_page in fwd.navigation.app_pages:
                    if app_page.page_name == self.page or app_page.url_pathname == self.page:
                        self.page_hash = app_page.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                _record(fwd.delta.new_element, result)
            elif kind == "script_finished":
                return


def _record(element, result: RunResult) -> None:
    kind = element.WhichOneof("type")
    if kind == "code":
        result.codes.append(element.code.code_text)
    elif kind == "alert":
        result.alerts.append(element.alert.body)
        if element.alert.format in (element.alert.ERROR, element.alert.WARNING):
            result.failures.append(element.alert.body)
    elif kind == "exception":
        result.exceptions.append(element.exception.message)
    elif kind == "plotly_chart":
        result.plotly_charts += 1
    elif kind == "text_area":
        result.text_area_id = element.text_area.id

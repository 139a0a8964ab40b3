"""The explorer's local web server: the page, its files, and a small JSON API.

Python's own threading HTTP server, bound to 127.0.0.1 only, answering:

========================  =====================================================
``GET /``                 the page (``static/index.html``)
``GET /static/NAME``      a file of ``static/`` (only the files shipped there)
``GET /api/meta``         parameters (unit, range, default, meaning, pathway),
                          slider groups, presets with their questions,
                          treatments, disclaimer and red flags
``POST /api/run``         ``{"settings", "baseline"?}`` -> the run (and A/B)
``POST /api/hysteresis``  ``{"settings", "peak"?, "ramp_months"?}`` -> the loop
``POST /api/yaml``        ``{"settings"}`` -> the scenario file (to save)
``POST /api/load``        ``{"text"}`` -> the settings of a scenario file
``POST /api/clinic``      ``{"trial", "arms", "virtual_patients"?, "per_arm"?,
                          "replicates"?}`` -> a small virtual trial (a few seconds;
                          :mod:`.clinic`)
========================  =====================================================

Bad input answers 400 with ``{"problems": [lines]}`` in the tool's usual
``FILE:LINE: key: message`` form. Requests must name this server in their
``Host`` header (a page elsewhere cannot reach it through DNS rebinding) and
bodies are at most :data:`MAX_BODY` bytes; scenario text is read by
:func:`lbp_headache.scenario.reader.load_scenario_text`, which reads no file
(docs/security.md).
"""

from __future__ import annotations

import json
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.errors import ModelError, ScenarioError
from lbp_headache.core.parameters import DRUGS, PARAMETERS
from lbp_headache.core.units import pretty
from lbp_headache.core.version import __version__
from lbp_headache.explorer.clinic import Clinic
from lbp_headache.explorer.controls import slider_groups
from lbp_headache.explorer.hysteresis import hysteresis
from lbp_headache.explorer.live import Runner
from lbp_headache.explorer.presets import load_presets
from lbp_headache.explorer.settings import scenario_settings, settings_to_yaml
from lbp_headache.scenario.reader import load_scenario_text

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_BODY = 2 * 2**20
STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".txt": "text/plain; charset=utf-8"}


def static_files() -> dict[str, Path]:
    """The files the server may send: everything shipped in ``static/``, by URL path."""
    return {"/static/" + path.relative_to(STATIC).as_posix(): path
            for path in sorted(STATIC.rglob("*"))
            if path.is_file() and path.suffix in CONTENT_TYPES}


def meta(clinic: Clinic) -> dict:
    """What the page needs before its first run (``GET /api/meta``)."""
    return {
        "version": __version__,
        "parameters": {p.name: {"value": p.value, "unit": pretty(p.unit), "low": p.low,
                                "high": p.high, "meaning": p.meaning, "group": p.group}
                       for p in PARAMETERS},
        "groups": slider_groups(),
        "presets": load_presets(),
        "drugs": list(DRUGS),
        "month_days": CALENDAR_MONTH_DAYS,
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
        "clinic": clinic.meta(),
    }


class BadRequest(ValueError):
    """A request the API cannot answer: its problem lines."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _settings(body: dict, key: str = "settings") -> dict:
    value = body.get(key)
    if not isinstance(value, dict):
        raise BadRequest([f"request: {key}: expected an object"])
    return value


def api_run(server: ExplorerServer, body: dict) -> dict:
    baseline = body.get("baseline")
    if baseline is not None and not isinstance(baseline, dict):
        raise BadRequest(["request: baseline: expected an object"])
    return server.runner.run(_settings(body), baseline)


def api_hysteresis(server: ExplorerServer, body: dict) -> dict:
    peak = body.get("peak", 7.0)
    months = body.get("ramp_months", 12.0)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (peak, months)):
        raise BadRequest(["request: peak and ramp_months: expected numbers"])
    return hysteresis(server.runner, _settings(body), peak=float(peak),
                      ramp=float(months) * CALENDAR_MONTH_DAYS)


def api_yaml(server: ExplorerServer, body: dict) -> dict:
    text = settings_to_yaml(_settings(body))
    load_scenario_text(text)  # a file that would not run is never offered for saving
    return {"yaml": text}


def api_load(server: ExplorerServer, body: dict) -> dict:
    text = body.get("text")
    if not isinstance(text, str):
        raise BadRequest(["request: text: expected the text of a scenario file"])
    return {"settings": scenario_settings(load_scenario_text(text, name="loaded scenario"))}


def api_clinic(server: ExplorerServer, body: dict) -> dict:
    return server.clinic.run(body)


# The API: path -> (method, handler).
ROUTES: dict[str, tuple[str, Callable[[ExplorerServer, dict], dict]]] = {
    "/api/run": ("POST", api_run),
    "/api/hysteresis": ("POST", api_hysteresis),
    "/api/yaml": ("POST", api_yaml),
    "/api/load": ("POST", api_load),
    "/api/clinic": ("POST", api_clinic),
}


class Handler(BaseHTTPRequestHandler):
    """One request; the server object carries the runner, the files and the meta document."""

    server: ExplorerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass  # a live slider makes a request per move: no log line for each

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' "
                         "'unsafe-inline'; connect-src 'self'; object-src 'none'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, document: dict) -> None:
        self._send(status, json.dumps(document, allow_nan=False).encode("utf-8"),
                   "application/json")

    def _host_ok(self) -> bool:
        return self.headers.get("Host", "") in self.server.hosts

    def do_GET(self):  # noqa: N802 - http.server's naming
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"problems": ["unknown host"]})
        path = self.path.split("?", 1)[0]
        if path == "/":
            path = "/static/index.html"
        if path == "/api/meta":
            return self._send(HTTPStatus.OK, self.server.meta_body, "application/json")
        file = self.server.files.get(path)
        if file is None:
            return self._json(HTTPStatus.NOT_FOUND, {"problems": [f"{path}: not found"]})
        return self._send(HTTPStatus.OK, file.read_bytes(), CONTENT_TYPES[file.suffix])

    do_HEAD = do_GET

    def do_POST(self):  # noqa: N802 - http.server's naming
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"problems": ["unknown host"]})
        route = ROUTES.get(self.path)
        if route is None or route[0] != "POST":
            return self._json(HTTPStatus.NOT_FOUND, {"problems": [f"{self.path}: not found"]})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              {"problems": [f"request: at most {MAX_BODY:,} bytes"]})
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise BadRequest(["request: expected a JSON object"])
            answer = route[1](self.server, body)
        except json.JSONDecodeError as error:
            return self._json(HTTPStatus.BAD_REQUEST, {"problems": [f"request: {error}"]})
        except BadRequest as error:
            return self._json(HTTPStatus.BAD_REQUEST, {"problems": error.problems})
        except ScenarioError as error:
            problems = [str(p) for p in error.problems] or [str(error)]
            return self._json(HTTPStatus.BAD_REQUEST, {"problems": problems})
        except (ModelError, ValueError) as error:
            return self._json(HTTPStatus.BAD_REQUEST, {"problems": [str(error)]})
        return self._json(HTTPStatus.OK, answer)


class ExplorerServer(ThreadingHTTPServer):
    """The HTTP server with what every request shares."""

    daemon_threads = True

    def __init__(self, port: int):
        super().__init__((HOST, port), Handler)
        self.runner = Runner()
        self.clinic = Clinic()
        self.files = static_files()
        self.meta_body = json.dumps(meta(self.clinic), allow_nan=False).encode("utf-8")
        actual = self.server_address[1]
        self.hosts = {f"{HOST}:{actual}", f"localhost:{actual}"}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


@dataclass
class Explorer:
    """A started explorer: serve it until stopped (Ctrl-C, or :meth:`stop` from a thread)."""

    server: ExplorerServer

    @property
    def url(self) -> str:
        return self.server.url

    def warm_up(self) -> None:
        """Run a preset once, so the engine is loaded (or compiled) before the first slider."""
        presets = json.loads(self.server.meta_body)["presets"]
        self.server.runner.run(presets[0]["settings"])

    def open_browser(self) -> bool:
        """Open the page in the user's browser; False if none could be started."""
        return webbrowser.open(self.url)

    def serve(self) -> None:
        """Answer requests until :meth:`stop` (or KeyboardInterrupt in the caller)."""
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.server.server_close()

    def serve_in_thread(self) -> threading.Thread:
        """Serve from a daemon thread (tests and benchmarks); :meth:`stop` ends it."""
        thread = threading.Thread(target=self.serve, name="lbp-headache explorer", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.server.shutdown()


def start_explorer(port: int = DEFAULT_PORT) -> Explorer:
    """Bind the explorer to ``127.0.0.1:port`` (0: any free port); serve it with ``serve``.

    Raises
    ------
    OSError
        If the port cannot be bound (in use, or not allowed).
    """
    return Explorer(ExplorerServer(port))

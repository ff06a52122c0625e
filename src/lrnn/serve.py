"""``lrnn serve``: a model behind a small HTTP API, with a page to try it in a browser.

Routes (JSON everywhere, errors included):

* ``POST /predict`` — for image models an image as the raw body (``Content-Type: image/…`` or
  ``application/octet-stream``) or a ``multipart/form-data`` upload of one or more images; for
  table and array models JSON ``{"rows": [[…], …]}`` or ``{"columns": {name: […]}}``. The answer
  is ``{"predictions": [{"name", "probability", "label"}, …]}``: each record is the one
  ``lrnn predict --json`` prints for the same input, to the last bit, because both go through
  :func:`lrnn.inference.predict_records`. Query options: ``threshold=0.3`` (like
  ``--threshold``), ``name=my.jpg`` (the name of a raw-body image, default ``image``) and
  ``explain=1``, which adds ``"explanations"``, one per example: for pictures the picture as the
  model sees it and a heat map of ``w ⊙ x`` as PNG data URIs (made by
  :mod:`lrnn.serve_explanations`, so the page needs no weights and no image code), for tables
  the per-feature contributions to the logit.
* ``GET /health`` — ``{"status": "ok"}``; ``GET /metadata`` — classes, threshold, features,
  preprocessing, the lrnn version, the training summary and manifest, and the request limits.
* ``GET /`` — one self-contained page (inline style and script, no external resource, locked
  down by a Content-Security-Policy with their hashes) to drop a picture or paste a row.

Bad input never gets a 500: 400 for a malformed request (JSON, multipart, threshold), 413 for a
body over the limit, 415 for a content type the model cannot take, 422 for well-formed data that
cannot be used (an undecodable image, a decompression bomb, a row of the wrong width, a value
that is not a number) — each ``{"error": "<one line naming the problem>"}``. The model is
read-only after loading, so requests share it without locks; decoding and the arithmetic run
in worker threads (at most one per core at a time, which also bounds the memory that large
uploads can take) so a slow upload never stalls ``/health``.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from lrnn import inference
from lrnn.data.checks import clip, quoted
from lrnn.errors import DataError, UsageError, one_line
from lrnn.serve_metadata import describe

#: Largest request body accepted, by default (``--max-body-mb``).
DEFAULT_MAX_BODY_BYTES = 20 * 2**20
#: Most images in one multipart request.
MAX_IMAGES_PER_REQUEST = 256
#: An oversized body is read and discarded up to this many times the limit, so the client gets
#: its 413 answer instead of a reset connection; beyond that the connection is simply closed.
DRAIN_FACTOR = 4
#: Seconds a client may take to send a request's body: a client that sends part of one and
#: waits would otherwise hold its bytes in the server's memory for as long as it likes.
BODY_SECONDS = 60
#: Bodies being received at once, in units of --max-body-mb, before new bytes get 503.
UPLOADS_IN_FLIGHT = 4
#: Bytes of JSON an answer may take: each row of a softmax layer's answer lists every class.
MAX_ANSWER_BYTES = 64 * 2**20
#: What an empty request should have held, by the model's kind of data.
_WHAT_TO_SEND = {
    "image": "an image",
    "text": "documents, one per line (text/plain) or as JSON",
}


def _rows_example(n_features: int) -> str:
    """A JSON body of this model's own width: an example of another width, copied, was refused
    next for its width."""
    if n_features <= 5:
        return '{"rows": [[' + ", ".join(["1.0"] * n_features) + "]]}"
    return f'{{"rows": [[1.0, 2.0, …]]}} with {n_features} numbers in each row'


#: Content types taken as one raw image.
_RAW_IMAGE_TYPES = ("application/octet-stream",)


class ApiError(Exception):
    """A request the API refuses: an HTTP status and one line for the client."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        #: the body was left unread: the connection ends with the answer, or the client's next
        #: request would be read as the rest of this one's body
        self.close = close


def _require_stack() -> None:
    import importlib.util

    # python_multipart is Starlette's form parser (python-multipart); checked by name, since
    # importing it under its old name only to test for it prints a deprecation warning.
    missing = [
        name
        for name in ("starlette", "uvicorn", "python_multipart")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise UsageError(
            f"lrnn serve needs Starlette, uvicorn and python-multipart ({', '.join(missing)} "
            "missing); install them with pip install starlette uvicorn python-multipart (lrnn's "
            "'serve' extra)."
        )


# --------------------------------------------------------------------------------------------
# The application


def create_app(
    predictor: inference.Predictor,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_images: int = MAX_IMAGES_PER_REQUEST,
    workers: int | None = None,
    host_names: frozenset[str] | None = None,
) -> Any:
    """The Starlette application serving ``predictor``. ``host_names``: the only names it
    answers to (the Host header, without its port); None answers any."""
    _require_stack()
    import anyio
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from lrnn.serve_page import CONTENT_SECURITY_POLICY, PAGE

    limiter = anyio.CapacityLimiter(workers or max(1, os.cpu_count() or 1))
    spec = predictor.spec
    n_classes = len(predictor.model.classes)
    metadata = describe(predictor, max_body_bytes, max_images, MAX_ANSWER_BYTES)
    rows_example = _rows_example(predictor.n_features)
    what_to_send = _WHAT_TO_SEND.get(spec.kind, "JSON rows such as " + rows_example)
    receiving = _Receiving(UPLOADS_IN_FLIGHT * max_body_bytes)
    page_headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }

    # every answer, not the page alone: a browser never reads an answer as another type
    answer_headers = {"X-Content-Type-Options": "nosniff"}

    def error(status: int, message: str, close: bool = False) -> JSONResponse:
        headers = {**answer_headers, "Connection": "close"} if close else answer_headers
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=answer_headers)

    async def get_metadata(request: Request) -> Response:
        return JSONResponse(metadata, headers=answer_headers)

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE, headers=page_headers)

    async def predict(request: Request) -> Response:
        reading = False  # an answer before the body is read ends the connection
        try:
            threshold, explain = _query_options(request, n_classes)
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            coding = request.headers.get("content-encoding", "identity").strip().lower()
            if coding not in ("", "identity"):  # its bytes would be read as the body itself
                raise ApiError(
                    415,
                    f"Content-Encoding {clip(coding)} is not accepted; send the body uncompressed.",
                )
            reading = True  # from here _read_body says whether it left bytes unread
            body = await _read_body(request, max_body_bytes, receiving)
            _check_media(media, spec.kind, rows_example)
            if not body:
                raise ApiError(400, f"the request body is empty; send {what_to_send}.")
            work = await _decoding(request, body, media, predictor, max_images)

            return await anyio.to_thread.run_sync(
                answered, predictor, work, threshold, explain, limiter=limiter
            )
        except ApiError as e:  # refused before its body was read: the connection ends too
            return error(e.status, e.message, e.close or not reading)
        except DataError as e:
            return error(422, one_line(e))

    def answered(*args: Any) -> Response:
        # the JSON text made in the worker too: tens of MB of it (many classes, ?explain=1)
        # took seconds on the event loop, where /health and every other request waited
        return JSONResponse(_answer(*args), headers=answer_headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        answer = error(exc.status_code, _routing_message(request, exc))
        if exc.headers and "Allow" in exc.headers:  # a 405 says which methods are (RFC 9110)
            methods = {m.strip() for m in exc.headers["Allow"].split(",")}  # a set: any order
            answer.headers["Allow"] = ", ".join(sorted(methods, key=lambda m: (m == "HEAD", m)))
        return answer

    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug, not bad input: the traceback goes to the server's log, never to the client.
        return error(500, f"internal error ({type(exc).__name__}); see the server's log.")

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metadata", get_metadata, methods=["GET"]),
        Route("/predict", predict, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error}
    )
    # POST /predict/ would get a bare 307 to /predict, which many clients do not follow with
    # the body: a 404 that names the paths says what to fix
    app.router.redirect_slashes = False
    if host_names is None:
        return app
    from lrnn.serve_hosts import answering_only

    return answering_only(app, host_names, error)


def _answer(
    predictor: inference.Predictor, work: Callable[[], Any], threshold: float | None, explain: bool
) -> dict:
    """The JSON answer to one request: its predictions, a warning where the command line would
    give one, and the explanations when asked (run in a worker thread)."""
    from lrnn.data.text import no_known_words
    from lrnn.serve_explanations import explanations

    ds = work()
    _check_answer_size(ds.X.shape[0], predictor.model.classes)
    out: dict[str, Any] = {"predictions": predictor.records(ds, threshold)}
    said = list(ds.notes)  # what the command line warns of
    if predictor.spec.kind == "text" and (message := no_known_words(ds.X, ds.names)):
        said.append(message)
    if said:
        out["warnings"] = said
    if explain:
        out["explanations"] = explanations(predictor, ds)
    return out


def _query_options(request: Any, n_classes: int) -> tuple[float | None, bool]:
    """?threshold= and ?explain=, each given at most once (which of two would be meant?); a
    name the API does not know is refused (a misspelt ?thresh=0.9 would be ignored)."""
    unknown = sorted(set(request.query_params) - {"threshold", "explain", "name"})
    if unknown:
        raise ApiError(
            400,
            f"unknown query parameter ?{unknown[0]}=; the API takes ?threshold=, ?explain= "
            "and ?name= (see GET /metadata).",
        )
    for key in ("threshold", "explain", "name"):
        if len(request.query_params.getlist(key)) > 1:
            raise ApiError(400, f"?{key}= is given more than once; give it once.")
    name = request.query_params.get("name")
    if name is not None and len(name) > 1000:  # it comes back in every record
        raise ApiError(400, f"?name= is {len(name)} characters long; give at most 1000.")
    threshold = _threshold(request.query_params.get("threshold"), n_classes)
    return threshold, _flag(request.query_params.get("explain"), "explain")


async def _decoding(
    request: Any, body: bytes, media: str, predictor: inference.Predictor, max_images: int
) -> Callable[[], Any]:
    """The work that turns this body into examples, to run on a worker thread (decoding
    pictures or vectorising documents takes CPU time the event loop must not spend)."""
    spec = predictor.spec
    raw_image = spec.kind == "image" and media not in ("application/json", "multipart/form-data")
    if request.query_params.get("name") is not None and not raw_image:  # said, not ignored
        raise ApiError(
            400,
            "?name= names a picture sent as the raw body; "
            + (
                "an upload's pictures are named by their file names"
                if media == "multipart/form-data"
                else "records here are named 'row N' or 'document N'"
            )
            + " — drop ?name=.",
        )
    if spec.kind == "text":  # documents: JSON {"documents": […]} or lines of text
        texts, notes = (
            (inference.json_documents(_parse_json(body)), [])
            if media == "application/json"
            else inference.text_lines(body, spec, _charset(request))
        )
        return lambda: inference.text_documents(texts, spec, notes=notes)
    if media == "application/json":
        payload = _parse_json(body)
        return lambda: inference.table_rows(payload, spec, predictor.n_features)
    if media == "multipart/form-data":
        blobs = await _multipart(request, body, max_images)
    else:
        blobs = [(request.query_params.get("name") or "image", body)]
    return lambda: inference.decode_images(blobs, spec)


def _routing_message(request: Any, exc: Any) -> str:
    """Starlette's 404 and 405, said with what the API does offer."""
    if exc.status_code == 404:
        return (  # the path clipped: a 60 KB one came back whole in the answer
            f"no such path {clip(request.url.path, 100)!r}; the API has GET /, /health, "
            "/metadata and POST /predict."
        )
    if exc.status_code == 405:
        path = clip(request.url.path, 100)
        allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",")]
        allowed = [m for m in allowed if m and m != "HEAD"] or ["GET"]  # HEAD comes with GET
        return f"{clip(request.method, 20)} is not allowed on {path}; use {allowed[0]} {path}."
    return str(exc.detail)


def _charset(request: Any) -> str | None:
    """The ``charset=`` parameter of the request's Content-Type, if any."""
    for part in request.headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _threshold(text: str | None, n_classes: int) -> float | None:
    if text is None:
        return None
    try:  # plain ASCII digits only: float() also reads "0.5_0" and other scripts' digits
        value = float(text) if text.isascii() and "_" not in text else math.nan
    except ValueError:
        value = math.nan
    problem = inference.threshold_problem(value, n_classes)
    if problem is not None:
        way_out = "drop it from the query" if n_classes > 2 else "fix the query"
        raise ApiError(400, f"threshold={text!r}: {problem}; {way_out}.")
    return value


def _flag(text: str | None, name: str) -> bool:
    if text is None or text.lower() in ("0", "false", "no", ""):
        return False
    if text.lower() in ("1", "true", "yes"):
        return True
    raise ApiError(400, f"{name}={text!r} is not 1 or 0; fix the query.")


def _check_media(media: str, kind: str, rows_example: str) -> None:
    """Refuse a content type this model cannot take (415)."""
    images = media.startswith("image/") or media in _RAW_IMAGE_TYPES
    if kind == "image":
        if images or media == "multipart/form-data":
            return
        raise ApiError(
            415,
            f"Content-Type {media or '(none)'!r} is not an image; this model takes pictures — "
            "send the image as the body with Content-Type image/png (or image/jpeg, "
            "application/octet-stream) or as multipart/form-data.",
        )
    if kind == "text":
        if media in ("text/plain", "application/json"):
            return
        raise ApiError(
            415,
            f"Content-Type {media or '(none)'!r} cannot carry documents; this text model takes "
            'text/plain (one document per line) or application/json {"documents": ["…", …]} '
            "— set the content type.",
        )
    if media == "application/json":
        return
    raise ApiError(
        415,
        f"Content-Type {media or '(none)'!r} cannot carry table rows; this {kind} model takes "
        f"application/json such as {rows_example} — set the content type.",
    )


def _check_answer_size(rows: int, classes: Any) -> None:
    """Refuse a request whose answer would be huge: with many classes (and long names) every
    row's record lists each class's probability, so a small body can ask for gigabytes."""
    per_row = 100 + sum(len(str(c)) + 30 for c in classes)
    if rows * per_row > MAX_ANSWER_BYTES:
        most = max(1, MAX_ANSWER_BYTES // per_row)
        raise DataError(
            f"the answer for {rows} examples of {len(classes)} classes would take about "
            f"{rows * per_row / 2**20:.0f} MiB; send at most {most} examples per request."
        )


class _Receiving:
    """Bytes of request bodies being received right now, across all requests: each request's
    own limit does not bound many connections that each send part of a large body."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.held = 0

    def take(self, n: int) -> None:
        if self.held + n > self.cap:
            raise ApiError(
                503, "the server is receiving too many uploads at once; try again shortly."
            )
        self.held += n

    def give_back(self, n: int) -> None:
        self.held -= n


def _waits_to_send(request: Any) -> bool:
    """Whether the client asked to be told to send its body (``Expect: 100-continue``)."""
    return request.headers.get("expect", "").strip().lower() == "100-continue"


async def _read_body(request: Any, limit: int, receiving: _Receiving | None = None) -> bytes:
    """The body, refused with 413 once it passes ``limit`` bytes (declared or actual)."""
    declared = request.headers.get("content-length")
    too_big = ApiError(
        413,
        f"the request body is over the server's limit of {limit} bytes; send a smaller image "
        "or fewer rows (or start the server with a larger --max-body-mb).",
    )
    declared_size = int(declared) if declared is not None and declared.isdigit() else None
    unread = ApiError(too_big.status, too_big.message, close=True)
    if declared_size is not None and declared_size > limit * DRAIN_FACTOR:
        raise unread
    if declared_size is not None and declared_size > limit and _waits_to_send(request):
        # The client holds its body until told to go on, which reading would tell it: it got
        # "100 Continue", sent megabytes to be drained, and only then its 413.
        raise unread
    import anyio
    from starlette.requests import ClientDisconnect

    receiving = receiving or _Receiving(limit)
    chunks: list[bytes] = []
    total = kept = 0
    refused = declared_size is not None and declared_size > limit
    try:
        with anyio.fail_after(BODY_SECONDS):
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit * DRAIN_FACTOR:
                    raise unread
                if refused or total > limit:
                    # Read to the end and dropped: a body already refused holds no share of
                    # what uploads may hold at once (it made others' uploads, and its own
                    # answer, a 503 "try again" when several arrived together).
                    refused = True
                    receiving.give_back(kept)
                    kept = 0
                    chunks.clear()
                    continue
                receiving.take(len(chunk))
                kept += len(chunk)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408, f"the request body took longer than {BODY_SECONDS} s to arrive; send it again."
        ) from None
    except ClientDisconnect:  # the client left mid-upload: nobody to answer, nothing to log
        raise ApiError(400, "the client disconnected before sending the whole body.") from None
    finally:
        receiving.give_back(kept)  # the body is joined below, and is the request's own
    if refused:
        raise too_big  # read to the end, so the client is not cut off mid-upload
    return b"".join(chunks)


def _parse_json(body: bytes) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    def once_each(pairs: list[tuple[str, Any]]) -> dict:
        out = dict(pairs)
        if len(out) < len(pairs):  # json.loads would keep the last value without a word
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise ValueError(f"the key {twice[:100]!r} appears twice in one object")
        return out

    try:
        return json.loads(body, parse_constant=no_constants, object_pairs_hook=once_each)
    except RecursionError as e:
        raise ApiError(400, "the body's JSON is nested too deeply; fix the request.") from e
    except UnicodeDecodeError as e:  # json.loads reads UTF-16/32 too, by their first bytes
        where = (
            f"at byte offset {e.start}: {e.reason}"
            if e.encoding.startswith("utf-8")
            else f"its first bytes mark it as {e.encoding.upper()}, but it is not valid "
            f"{e.encoding.upper()} either"
        )
        raise ApiError(
            400, f"the body is not UTF-8 JSON ({where}); send UTF-8, uncompressed."
        ) from e
    except ValueError as e:  # JSONDecodeError too
        why = one_line(e)
        if "integer string conversion" in why:  # Python's own words name its setting
            why = "a whole number of more than 4300 digits"
        raise ApiError(400, f"the body is not valid JSON ({why}); fix the request.") from e


async def _multipart(request: Any, body: bytes, max_images: int) -> list[tuple[str, bytes]]:
    """The files of a multipart body, parsed by Starlette from the bytes already read."""
    from email.message import Message

    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    boundary = header.get_param("boundary")
    if isinstance(boundary, str) and f"--{boundary}--".encode() not in body:
        # Cut short: the parser would drop the unfinished file (leaving its temporary file
        # open) and answer as if none had been sent.
        shown = f" --{boundary}--" if len(boundary) <= 70 else ""  # RFC 2046's longest
        raise ApiError(
            400, f"the multipart body ends before its closing boundary{shown}: the upload "
            "was cut short; send it again whole."
        )  # fmt: skip
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(
            max_files=max_images, max_fields=max_images
        )
    except HTTPException as e:
        if "Too many files" in str(e.detail) or "Too many fields" in str(e.detail):
            raise ApiError(
                422,
                f"more than {max_images} images (or form fields) in one request, over the limit "
                f"of {max_images}; send them in several requests.",
            ) from e
        raise ApiError(400, f"malformed multipart body ({e.detail}); fix the upload.") from e
    except (ValueError, KeyError, AssertionError) as e:
        raise ApiError(400, f"malformed multipart body ({one_line(e)}); fix the upload.") from e
    try:
        blobs = []
        fields = []
        for field, value in form.multi_items():
            if isinstance(value, str):
                fields.append(field)  # a plain form field, not a file
            else:
                blobs.append((value.filename or field, await value.read()))
    finally:
        await form.close()
    if not blobs and fields:  # curl -F a=<pic.png sends the picture as a field's text
        raise ApiError(
            400,
            f"the multipart body holds no file, only the form field(s) "
            f"{quoted(sorted(set(fields)), 5)} (a part without a file name); attach each "
            "image as a file: curl -F image=@photo.jpg.",
        )
    if not blobs:
        raise ApiError(400, "the multipart body holds no file; attach at least one image.")
    if fields:  # a threshold sent as a field would be silently replaced by the model's own
        raise ApiError(
            422,
            f"the multipart body has the form field(s) {quoted(sorted(set(fields)), 5)}, which "
            "this API does not read (it reads files); options such as threshold and explain "
            "go in the query string: POST /predict?threshold=0.9.",
        )
    return blobs


# --------------------------------------------------------------------------------------------
# Running it


def _log_requests_on_stderr() -> None:
    """uvicorn's access log as --access-log promises it: each request a line on stderr, beside
    lrnn's own lines (uvicorn logs requests at INFO, which log_level="warning" silenced, and
    on stdout). The path in each line is percent-encoded by uvicorn: no terminal escapes."""
    import logging

    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    for handler in access.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: a free one), or a one-line error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Connections accepted from it inherit TCP_NODELAY: a response written in two pieces
        # (headers, body) must not wait for the client's delayed ACK (40 ms on Linux).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port} ({e.strerror or one_line(e)}); choose another "
            "--port or --host."
        ) from e
    except (OverflowError, UnicodeError) as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({one_line(e)}); check --host.") from e
    return sock


def serve(
    model_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    access_log: bool = False,
    announce: Callable[[str], None] | None = None,
    allowed_hosts: list[str] | None = None,
) -> None:
    """Load the model, bind, and serve until Ctrl-C (SIGINT) or SIGTERM."""
    _require_stack()
    import uvicorn

    from lrnn.serve_connections import uvicorn_options

    predictor = inference.Predictor.load(model_path)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    # on a loopback address, only the names a local client uses; elsewhere any name (a proxy,
    # a DNS name, a container's) may stand for the machine
    names = None
    if is_loopback(bound_host):  # the address bound, however --host spelt it (127.1)
        from lrnn.serve_hosts import LOOPBACK_NAMES, host_name

        names = LOOPBACK_NAMES | {host_name(h) for h in [host, bound_host, *(allowed_hosts or [])]}
    app = create_app(predictor, max_body_bytes=max_body_bytes, host_names=names)
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    say = announce or (lambda line: print(line, file=sys.stderr, flush=True))
    if not is_loopback(bound_host):
        say(
            f"warning: serving on {host}, reachable from other machines; lrnn serve has no "
            "authentication — put it behind a proxy that has, or use the default 127.0.0.1."
        )
    model = predictor.model
    if len(model.classes) > 2:
        what = f"{len(model.classes)} classes"
    else:
        what = f"{model.classes[1]!r} vs {model.classes[0]!r}"
    say(
        f"lrnn serve: http://{shown}:{bound_port}/ — {os.path.basename(model_path)} "
        f"({predictor.spec.kind} model, {what}); Ctrl-C to stop"
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=5,
        **uvicorn_options(),  # a deadline for each request's headers; no traceback per EMFILE
    )
    if access_log:
        _log_requests_on_stderr()
    # uvicorn finishes the requests in flight on SIGINT/SIGTERM, then raises the signal again
    # for the previous handler: make that a quiet, successful exit rather than a kill.
    previous = _stop_on_sigterm()
    try:
        # BLAS keeps the thread count lrnn predict uses: fewer threads would sum the product
        # in another order and change the last bit of some probabilities.
        uvicorn.Server(config).run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    say("lrnn serve: stopped")


class _Stopped(Exception):
    """SIGTERM arrived (after uvicorn's graceful shutdown)."""


def _stop_on_sigterm() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise _Stopped

    return signal.signal(signal.SIGTERM, stop)

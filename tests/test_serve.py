# ruff: noqa: E501 - the bad-request table keeps one case per line
"""``lrnn serve`` against a real server process on 127.0.0.1 (a free port), through HTTP.

* parity: every record equals what ``lrnn predict --json`` prints for the same file or row,
  compared as parsed JSON, so the floats must be the same to the last bit;
* the HTTP bad-input table: each bad request gets its 4xx JSON error naming the problem, no
  traceback, and the server still answers afterwards;
* a bounded load test (8 concurrent clients, each response checked against its own expected
  record, none lost); Ctrl-C and SIGTERM stop the server cleanly;
* the page, in headless Chromium (marker ``browser``): pick a file, see the verdict and both
  pictures loaded. With ``LRNN_WRITE_DOCS=1`` the screenshot of the cat model's page is also
  written to ``docs/serve-page.png`` (how the README's picture is made).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import data, inference, persist
from lrnn.errors import UsageError
from tests.cli_helpers import assert_clean_failure, lrnn_command, run
from tests.conftest import needs_cat
from tests.serving_helpers import (
    TABLE_COLUMNS,
    Server,
    cat_test_pictures,
    icon_around,
    png_bomb,
    predict_json,
    train_models,
)

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: The image server's body limit (MiB), small so that the 413 case is cheap to send.
LIMIT_MB = 0.5


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return train_models(tmp_path_factory.mktemp("serve-models"))


@pytest.fixture(scope="module")
def image_server(models):
    server = Server(models.image, "--max-body-mb", str(LIMIT_MB), cwd=models.folder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def table_server(models):
    server = Server(models.table, cwd=models.folder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30) as c:
        yield c


def post_image(client, server: Server, path: Path, **params) -> httpx.Response:
    kind = {".png": "image/png", ".jpg": "image/jpeg", ".bmp": "image/bmp"}[path.suffix]
    return client.post(
        server.url + "/predict",
        content=path.read_bytes(),
        headers={"Content-Type": kind},
        params={"name": str(path), **params},
    )


# --------------------------------------------------------------------------------------------
# Parity with lrnn predict --json


def test_a_loopback_server_answers_to_local_names_only(table_server, client):
    """DNS rebinding: a page of attacker.example whose name resolves to 127.0.0.1 reaches
    the server, but its requests name attacker.example in their Host header."""
    port = table_server.url.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST.", "127.0.0.1"):
        assert client.get(table_server.url + "/health", headers={"Host": host}).status_code == 200
    for host in (f"attacker.example:{port}", "127.0.0.2", "[::2]:80", "localhost.evil"):
        answer = client.get(table_server.url + "/metadata", headers={"Host": host})
        assert answer.status_code == 421, host
        assert "answers to 127.0.0.1, [::1], localhost only" in answer.json()["error"]
        assert "model" not in answer.json()
    # two Host headers, the first allowed: HTTP/1.1's 400 (from the server's HTTP parser), not
    # an answer by the first alone
    import socket

    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as raw:
        raw.sendall(b"GET /metadata HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n"
                    b"Connection: close\r\n\r\n")  # fmt: skip
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


def test_the_host_guard_follows_the_address_bound_and_takes_a_proxys_name(models, client):
    """--host 127.1 is 127.0.0.1 too (the guard read the string typed and let every name in);
    a reverse proxy that passes its own Host header is let in by --allow-host."""
    from lrnn.serve_hosts import host_name

    assert [host_name(h) for h in ("::1", "[::1]:80", "LocalHost.:8000", "")] == [
        "[::1]",
        "[::1]",
        "localhost",
        "",
    ]
    server = Server(models.table, "--host", "127.1", "--allow-host", "Proxy.Example")
    try:
        for host, status in (("evil.example", 421), ("proxy.example:443", 200), ("", 421)):
            answer = client.get(server.url + "/health", headers={"Host": host})
            assert answer.status_code == status, (host, answer.text)
        assert "not to the host name ''" in answer.json()["error"]  # not "str"
        assert "reachable from other machines" not in server.stop()[1]
    finally:
        server.stop()


def test_health_and_metadata(image_server, client, models):
    assert client.get(image_server.url + "/health").json() == {"status": "ok"}
    meta = client.get(image_server.url + "/metadata").json()
    model = persist.load_model(models.image)
    assert meta["classes"] == list(model.classes) and meta["positive_class"] == model.classes[1]
    assert meta["threshold"] == model.threshold
    assert meta["kind"] == "image" and meta["image_shape"] == [6, 10, 3]
    assert meta["n_features"] == 180 and meta["feature_names"] is None
    assert meta["preprocessing"] == model.preprocessing
    assert meta["manifest"] == json.loads(json.dumps(model.manifest))
    assert meta["manifest"]["data_sha256"]
    from lrnn import __version__

    assert meta["lrnn_version"] == __version__
    assert meta["limits"] == {
        "max_body_bytes": int(LIMIT_MB * 2**20),
        "max_answer_bytes": 64 * 2**20,
        "max_images": 256,
        "max_image_pixels": 50_000_000,
    }


def test_raw_images_match_predict(image_server, client, models):
    """One picture per request against ``lrnn predict`` of that one file.

    (A batch is compared with the same batch below: BLAS may sum a batch of rows in another
    order than a single row, so the last bit of a probability can depend on the batch — in
    ``lrnn predict`` itself too.)
    """
    for path in models.pictures[:2]:
        expected = predict_json(models.image, [path], models.folder)
        response = post_image(client, image_server, path)
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == expected  # name, label, probability: all bits


def test_multipart_batch_matches_predict(image_server, client, models):
    expected = predict_json(models.image, models.pictures, models.folder)
    files = [
        ("images", (p.name, p.read_bytes(), "application/octet-stream")) for p in models.pictures
    ]
    response = client.post(image_server.url + "/predict", files=files)
    assert response.status_code == 200, response.text
    got = response.json()["predictions"]
    assert [r["name"] for r in got] == [p.name for p in models.pictures]
    assert [(r["probability"], r["label"]) for r in got] == [
        (r["probability"], r["label"]) for r in expected
    ]
    assert len({r["label"] for r in got}) == 2


def test_threshold_option_matches_predict(image_server, client, models):
    path = models.pictures[0]
    expected = predict_json(models.image, [path], models.folder, "--threshold", "0.999")
    assert (
        post_image(client, image_server, path, threshold="0.999").json()["predictions"] == expected
    )


def test_table_rows_and_columns_match_predict(table_server, client, models):
    expected = predict_json(models.table, [models.table_csv], models.folder)
    frame = pd.read_csv(models.table_csv)
    rows = frame[TABLE_COLUMNS].to_numpy().tolist()
    meta = client.get(table_server.url + "/metadata").json()
    limits = meta["limits"]
    assert limits["max_rows"] == 10_000 and "max_images" not in limits
    # ?name= names a raw picture, refused for rows: not offered here (it was)
    assert not any(o.startswith("name=") for o in meta["predict"]["options"]), meta["predict"]
    by_rows = client.post(table_server.url + "/predict", json={"rows": rows})
    assert by_rows.status_code == 200, by_rows.text
    assert by_rows.json()["predictions"] == expected
    columns = {c: frame[c].tolist() for c in [*reversed(TABLE_COLUMNS), "label"]}  # any order
    by_columns = client.post(table_server.url + "/predict", json={"columns": columns})
    assert by_columns.json()["predictions"] == expected
    # rows as records (pandas' to_json(orient="records")): the body itself, or under "rows";
    # both were refused ("must be an object with rows", "rows[0] is not a list")
    records = frame[[*reversed(TABLE_COLUMNS), "label"]].to_json(orient="records")
    headers = {"Content-Type": "application/json"}
    by_records = client.post(table_server.url + "/predict", content=records, headers=headers)
    assert by_records.status_code == 200, by_records.text
    assert by_records.json()["predictions"] == expected
    under_rows = client.post(table_server.url + "/predict", json={"rows": json.loads(records)})
    assert under_rows.json()["predictions"] == expected
    lacking = client.post(table_server.url + "/predict", json=[{TABLE_COLUMNS[0]: 1.0}])
    assert lacking.status_code == 422
    assert f"\"rows\"[0] lacks feature(s) '{TABLE_COLUMNS[1]}'" in lacking.json()["error"]


def test_a_predictor_refuses_rows_it_would_score_wrongly(models):
    """Rows loaded without the model's standardization flipped 359 of 569 labels without a
    word; a single 1-D row of 64 values gave 64 probabilities."""
    from lrnn import data, inference

    predictor = inference.Predictor.load(models.table)
    with pytest.raises(UsageError, match="was prepared otherwise than .*load_inputs"):
        predictor.records(data.load(str(models.table_csv)))
    good = predictor.records(data.load_inputs(str(models.table_csv), predictor.spec))
    assert len(good) == 80
    row = data.load_inputs(str(models.table_csv), predictor.spec).X[0]
    with pytest.raises(UsageError, match=r"X must be 2-D.*X.reshape\(1, -1\)"):
        predictor.positive_probability(row)
    with pytest.raises(UsageError, match="X has 2 features per row, the model takes 3"):
        inference.probabilities(predictor.model, predictor.spec, [row[:2]])
    one = predictor.positive_probability(row.reshape(1, -1))
    assert one.shape == (1,) and one[0] == pytest.approx(good[0]["probability"], rel=1e-12)
    with pytest.raises(UsageError, match="records takes a Dataset, got ndarray"):
        predictor.records(row.reshape(1, -1))
    # a picture model divides by 255 itself: the lesson's X / 255 gave probabilities near the
    # bias's without a word
    pictures = inference.Predictor.load(models.image)
    raw = data.load_inputs([str(p) for p in models.pictures[:2]], pictures.spec).X
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pictures.positive_probability(raw.astype(np.float64))  # raw pixels as floats: fine
    with pytest.warns(UserWarning, match="as if the pixels were divided by 255 already"):
        pictures.positive_probability(raw / 255)


def test_a_row_whose_logit_overflows_is_named_as_the_request_names_it(models):
    """As text documents are ("the request: document 2: …"); it read "request: row 1: …",
    a file name that looked like a placeholder."""
    from lrnn import inference
    from lrnn.errors import DataError

    predictor = inference.Predictor.load(models.table)
    ds = inference.table_rows({"rows": [[1.0, 2.0, 3.0], [1e300, 1e300, 1e300]]}, predictor.spec, 3)
    huge = np.full_like(np.asarray(predictor.model.w), 1e300)
    with pytest.raises(DataError, match=r"^the request: row 2: its logit is not finite"):
        inference.logits(
            huge, predictor.model.b, ds.X, predictor.spec.scale, inference.row_namer(ds)
        )


@needs_cat
def test_cat_pictures_match_predict(models, client):
    pictures = cat_test_pictures(models.folder)
    batch = predict_json(models.cat, pictures, models.folder)
    single = predict_json(models.cat, pictures[:1], models.folder)
    server = Server(models.cat, cwd=models.folder)
    try:
        files = [("f", (p.name, p.read_bytes(), "image/png")) for p in pictures]
        got = client.post(server.url + "/predict", files=files).json()["predictions"]
        one = post_image(client, server, pictures[0]).json()["predictions"]
    finally:
        server.stop()
    assert [(r["probability"], r["label"]) for r in got] == [
        (r["probability"], r["label"]) for r in batch
    ]
    assert one == single


def test_explanations(image_server, table_server, client, models):
    path = models.pictures[3]  # an RGBA picture of another size
    out = post_image(client, image_server, path, explain="1").json()
    (item,) = out["explanations"]
    predictor = inference.Predictor.load(models.image)
    ds = data.load_inputs([str(path)], predictor.spec)
    seen = Image.open(io.BytesIO(_data_uri(item["input_png"])))
    assert seen.size == (10, 6) and seen.mode == "RGB"
    assert np.array_equal(np.asarray(seen), ds.raw_images[0])  # the picture as the model saw it
    heat = np.asarray(Image.open(io.BytesIO(_data_uri(item["heatmap_png"]))).convert("RGB"))
    contributions, bias = predictor.contributions(ds)
    assert bias.tolist() == [predictor.model.b]
    c = contributions[0].reshape(6, 10, 3).sum(axis=2)
    assert item["heatmap_max"] == pytest.approx(np.abs(c).max(), rel=1e-12)
    strongest = np.unravel_index(np.argmax(np.abs(c)), c.shape)
    colour = heat[strongest].astype(int)
    assert tuple(colour) == ((255, 0, 0) if c[strongest] > 0 else (0, 0, 255))
    assert item["logit"] == pytest.approx(c.sum() + predictor.model.b, abs=1e-12)

    table = client.post(
        table_server.url + "/predict", params={"explain": "1"}, json={"rows": [[0.5, -200, 49]]}
    ).json()
    (row,) = table["explanations"]
    names = [name for name, _ in row["contributions"]]
    assert names == TABLE_COLUMNS
    total = sum(v for _, v in row["contributions"]) + row["bias"]
    assert total == pytest.approx(row["logit"], abs=1e-12)
    p = table["predictions"][0]["probability"]
    assert p == pytest.approx(1 / (1 + np.exp(-row["logit"])), rel=1e-12)


def _data_uri(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :])


# --------------------------------------------------------------------------------------------
# The HTTP bad-input table


def _multipart_without_boundary() -> dict:
    return {"content": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data"}}


def _multipart_text_only() -> dict:
    body = b'--b1\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--b1--\r\n'
    return {"content": body, "headers": {"Content-Type": "multipart/form-data; boundary=b1"}}


def _multipart_cut_short() -> dict:
    body = b'--b1\r\nContent-Disposition: form-data; name="a"; filename="a.png"\r\n\r\n\x89PNG'
    return {"content": body, "headers": {"Content-Type": 'multipart/form-data; boundary="b1"'}}


def _image_body(blob: bytes, kind: str = "image/png") -> dict:
    return {"content": blob, "headers": {"Content-Type": kind}}


def _png(size=(10, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


# (id, server "image" or "table", request kwargs for client.request, status, needle)
# fmt: off
HTTP_CASES: list[tuple[str, str, dict, int, str]] = [
    ("image: text/plain", "image", {"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, "'text/plain' is not an image"),
    ("image: no content type", "image", {"content": _png()}, 415, "(none)"),
    ("image: json body", "image", {"json": {"rows": [[1, 2]]}}, 415, "this model takes pictures"),
    ("image: not an image", "image", _image_body(b"GIF89a but not really"), 422, "not an image file"),
    ("image: truncated png", "image", _image_body(_png((40, 40))[:60]), 422, "image"),
    ("image: decompression bomb", "image", _image_body(png_bomb()), 422, "decompression bomb"),
    ("image: icon around a bomb", "image", _image_body(icon_around(png_bomb(10_000, 10_000))), 422, "100 megapixels together"),
    ("image: empty body", "image", _image_body(b""), 400, "body is empty"),
    ("image: body over the limit", "image", _image_body(b"\x89PNG" + bytes(int(LIMIT_MB * 2**20))), 413, "limit of 524288 bytes"),
    ("image: multipart, no boundary", "image", _multipart_without_boundary(), 400, "multipart"),
    ("image: multipart, no file", "image", _multipart_text_only(), 400, "holds no file, only the form field(s) 'note' (a part without a file name); attach each image as a file: curl -F image=@photo.jpg"),
    ("image: multipart, cut short", "image", _multipart_cut_short(), 400, "before its closing boundary --b1--: the upload was cut short"),
    ("image: threshold as a form field", "image", {"files": [("a", ("ok.png", _png()))], "data": {"threshold": "0.99"}}, 422, "the form field(s) 'threshold', which this API does not read (it reads files); options such as threshold and explain go in the query string"),
    ("image: multipart, one bad file", "image", {"files": [("a", ("ok.png", _png())), ("b", ("bad.png", b"xx"))]}, 422, "bad.png"),
    ("image: many megapixels together", "image", {"files": [(f"f{i}", (f"{i}.png", png_bomb(5000, 4000))) for i in range(3)]}, 422, "60 megapixels together"),
    ("image: misspelt query parameter", "image", {**_image_body(_png()), "params": {"thresh": "0.9"}}, 400, "unknown query parameter ?thresh=; the API takes ?threshold="),
    ("image: threshold above one", "image", {**_image_body(_png()), "params": {"threshold": "2"}}, 400, "threshold='2'"),
    ("image: threshold word", "image", {**_image_body(_png()), "params": {"threshold": "high"}}, 400, "between 0 and 1"),
    ("image: threshold with an underscore", "image", {**_image_body(_png()), "params": {"threshold": "0.5_0"}}, 400, "between 0 and 1"),
    ("image: threshold in other digits", "image", {**_image_body(_png()), "params": {"threshold": "\u0660.\u0665"}}, 400, "between 0 and 1"),
    ("image: explain word", "image", {**_image_body(_png()), "params": {"explain": "maybe"}}, 400, "explain='maybe'"),
    ("image: threshold twice", "image", {**_image_body(_png()), "params": [("threshold", "0.1"), ("threshold", "0.9")]}, 400, "more than once"),
    ("table: malformed json", "table", {"content": b'{"rows": [[1, 2', "headers": {"Content-Type": "application/json"}}, 400, "not valid json"),
    ("table: not UTF-8", "table", {"content": b'{"rows": [[1, 2, \xff]]}', "headers": {"Content-Type": "application/json"}}, 400, "the body is not UTF-8 JSON (at byte offset 17: invalid start byte)"),
    ("table: a broken UTF-16 mark", "table", {"content": b"\xff\xfe{", "headers": {"Content-Type": "application/json"}}, 400, "its first bytes mark it as UTF-16-LE, but it is not valid UTF-16-LE either"),
    ("table: NaN literal", "table", {"content": b'{"rows": [[NaN, 1, 2]]}', "headers": {"Content-Type": "application/json"}}, 400, "NaN is not valid JSON"),
    ("table: wrong width", "table", {"json": {"rows": [[1.0, 2.0]]}}, 422, "has 2 values but the model takes 3"),
    ("table: text value", "table", {"json": {"rows": [[1.0, "two", 3.0]]}}, 422, "column 'large'"),
    ("table: huge integer", "table", {"json": {"rows": [[1, 10**400, 3]]}}, 422, "column 'large': a number beyond float64's range"),
    ("table: 1e400", "table", {"content": b'{"rows": [[1, 1e400, 3]]}', "headers": {"Content-Type": "application/json"}}, 422, "row 1, column 'large': a number beyond float64's range"),
    ("table: 5000 digits", "table", {"content": b'{"rows": [[1, ' + b"9" * 5000 + b', 3]]}', "headers": {"Content-Type": "application/json"}}, 400, "a whole number of more than 4300 digits"),
    ("table: nested too deeply", "table", {"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}}, 400, "nested too deeply"),
    ("long path", "table", {"path": "/" + "x" * 60_000}, 404, "no such path '/xxxx"),
    ("long ?name=", "table", {"params": {"name": "n" * 5000}}, 400, "?name= is 5000 characters long"),
    ("table: ?name= not used", "table", {"json": {"rows": [[1, 2, 3]]}, "params": {"name": "mine"}}, 400, "?name= names a picture sent as the raw body; records here are named 'row N' or 'document N' — drop ?name="),
    ("table: gzip body", "table", {"content": b"\x1f\x8b\x08\x00", "headers": {"Content-Type": "application/json", "Content-Encoding": "gzip"}}, 415, "Content-Encoding gzip is not accepted; send the body uncompressed"),
    ("table: no rows key", "table", {"json": {"data": [[1, 2, 3]]}}, 422, '"rows"'),
    ("table: empty rows", "table", {"json": {"rows": []}}, 422, "non-empty"),
    ("table: rows and columns", "table", {"json": {"rows": [[1, 2, 3]], "columns": {}}}, 422, "not both"),
    ("table: missing column", "table", {"json": {"columns": {"small": [1.0], "large": [2.0]}}}, 422, "'shifted'"),
    ("table: uneven columns", "table", {"json": {"columns": {"small": [1.0], "large": [2.0, 3.0], "shifted": [1.0]}}}, 422, "same length"),
    ("table: threshold in the body", "table", {"json": {"rows": [[1, 2, 3]], "threshold": 0.9}}, 422, "the key(s) 'threshold', which this API does not read"),
    ("table: a key twice", "table", {"content": b'{"columns": {"small": [1], "small": [100], "large": [2], "shifted": [3]}}', "headers": {"Content-Type": "application/json"}}, 400, "the key 'small' appears twice"),
    ("table: true as a feature", "table", {"json": {"rows": [[True, 2, 3]]}}, 422, "true is not a finite number"),
    ("table: an image", "table", _image_body(_png()), 415, 'application/json such as {"rows": [[1.0, 1.0, 1.0]]}'),
    ("table: csv", "table", {"content": b"1,2,3", "headers": {"Content-Type": "text/csv"}}, 415, "'text/csv' cannot carry table rows; this table model takes application/json such as {\"rows\": [[1.0, 1.0, 1.0]]}"),
    ("table: json list", "table", {"json": [[1, 2, 3]]}, 422, 'or a list of row objects (feature name → number) (a bare list of lists is not read: it cannot tell one row from many; send {"rows": [[…], …]})'),
    ("table: a flat json list", "table", {"json": [1, 2, 3]}, 422, "or a list of row objects (feature name → number); fix the request."),
    ("table: rows as an object", "table", {"json": {"rows": {"a": [1, 2, 3]}}}, 422, '"rows" must be a list of rows, not an object; send [[…], …]'),
    ("table: rows as a string", "table", {"json": {"rows": "1,2,3"}}, 422, '"rows" must be a list of rows, not a string'),
    ("table: too many rows", "table", {"json": {"rows": [[1.0, 2.0, 3.0]] * 10_001}}, 422, "10001 rows in one request, over the limit of 10000"),
    ("GET /predict", "image", {"method": "GET"}, 405, "GET is not allowed on /predict; use POST /predict."),
    ("DELETE /health", "image", {"method": "DELETE", "path": "/health"}, 405, "DELETE is not allowed on /health; use GET /health."),
    ("unknown path", "image", {"path": "/nope"}, 404, "no such path '/nope'"),
    ("a slash after /predict", "image", {"path": "/predict/"}, 404, "no such path '/predict/'; the API has GET /, /health, /metadata and POST /predict"),
    ("table: empty body", "table", {"content": b"", "headers": {"Content-Type": "application/json"}}, 400, 'empty; send JSON rows such as {"rows": [[1.0, 1.0, 1.0]]}'),
]
# fmt: on


def _ids() -> list[str]:
    ids = [c[0] for c in HTTP_CASES]
    assert len(ids) == len(set(ids))
    return ids


@pytest.mark.parametrize(("case", "which", "kwargs", "status", "needle"), HTTP_CASES, ids=_ids())
def test_bad_request(case, which, kwargs, status, needle, image_server, table_server, client):
    server = image_server if which == "image" else table_server
    kwargs = dict(kwargs)
    method, path = kwargs.pop("method", "POST"), kwargs.pop("path", "/predict")
    response = client.request(method, server.url + path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert needle.lower() in message.lower(), message
    assert "\n" not in message and "Traceback" not in response.text
    assert len(message) < 1000  # what the client sent is clipped (a 60 KB path came back whole)
    if status == 405:  # which methods are allowed, as RFC 9110 asks of a 405
        assert response.headers["allow"] in ("POST", "GET, HEAD"), response.headers
    assert client.get(server.url + "/health").status_code == 200  # still serving


def test_a_cut_short_upload_leaves_no_temporary_file_open(models):
    """The parser would drop an unfinished file and leave its temporary file open (a
    ResourceWarning in the server's log); the request is refused before it is parsed."""
    import gc

    from starlette.testclient import TestClient

    from lrnn.serve import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with TestClient(create_app(inference.Predictor.load(models.image))) as app:
            response = app.post("/predict", **_multipart_cut_short())
        gc.collect()
    assert response.status_code == 400 and "cut short" in response.json()["error"]
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_pictures_declared_size_is_read_without_pillows_warning():
    """100 megapixels (over Pillow's own warning line, under its error line): refused by
    lrnn's limit, and Pillow's warning went to the server's log for every such request."""
    from lrnn.data.images import declared_pixels

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert declared_pixels(png_bomb(10_000, 10_000)) == 10**8
    # Pillow decodes an icon's frame as it opens the file: the frame's own header is read first
    # (a "16 × 16" icon around a 13,000² PNG took the server to 714 MB before the refusal)
    assert declared_pixels(icon_around(png_bomb(10_000, 10_000))) == 10**8
    assert declared_pixels(icon_around(png_bomb(32, 32))) == 32 * 32


def test_an_answer_is_made_into_json_off_the_event_loop(models, monkeypatch):
    """The predictions ran in a worker thread but their JSON text (up to 64 MB) was made on
    the event loop, where /health waited seconds for a large answer."""
    from starlette import responses
    from starlette.testclient import TestClient

    from lrnn.serve import create_app

    rendered = []
    render = responses.JSONResponse.render

    def recording(self, content):
        rendered.append((threading.current_thread(), "predictions" in content))
        return render(self, content)

    monkeypatch.setattr(responses.JSONResponse, "render", recording)
    with TestClient(create_app(inference.Predictor.load(models.table))) as app:
        loop = app.portal.call(threading.current_thread)  # the thread the event loop runs on
        rows = pd.read_csv(models.table_csv).drop(columns="label").to_numpy()
        answer = app.post("/predict", json={"rows": rows[:3].tolist()})
    assert answer.status_code == 200, answer.text
    threads = [thread for thread, is_answer in rendered if is_answer]
    assert threads and loop not in threads


def test_declared_oversized_body_is_refused(image_server):
    """A body far over the limit (declared in Content-Length) is refused without reading it."""
    with socket.create_connection(("127.0.0.1", int(image_server.url.rsplit(":", 1)[1]))) as s:
        s.sendall(
            b"POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        reply = s.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply
    assert httpx.get(image_server.url + "/health").status_code == 200


def test_oversized_body_waiting_for_continue_is_refused_before_it_is_sent(image_server):
    """A client that waits for "100 Continue" before sending a body over the limit is answered
    413 at once: told to go on, it sent megabytes to be drained before its refusal."""
    declared = int(2 * LIMIT_MB * 2**20)  # over the limit, under what the server drains
    with socket.create_connection(("127.0.0.1", int(image_server.url.rsplit(":", 1)[1]))) as s:
        s.settimeout(10)
        s.sendall(
            b"POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
            b"Expect: 100-continue\r\nContent-Length: " + str(declared).encode() + b"\r\n\r\n"
        )
        reply = s.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply
    # the body is left unread, so the connection ends with the answer: the client's next
    # request was read as the rest of this one's body, and it waited for ever
    assert "connection: close" in reply.lower(), reply
    assert httpx.get(image_server.url + "/health").status_code == 200


# --------------------------------------------------------------------------------------------
# Load, concurrency and shutdown


def test_concurrent_requests_lose_nothing(image_server, models):
    """8 clients × 50 requests of different pictures: every answer is its own picture's,
    as the server gave it when asked one at a time."""
    bodies = [(str(p), p.read_bytes()) for p in models.pictures]
    expected = {  # one at a time first
        name: post_image(httpx, image_server, Path(name)).json()["predictions"][0]
        for name, _ in bodies
    }
    failures: list[str] = []
    counts = [0] * 8

    def client_loop(k: int) -> None:
        with httpx.Client(timeout=30) as c:
            for i in range(50):
                name, body = bodies[(k + i) % len(bodies)]
                r = c.post(
                    image_server.url + "/predict",
                    content=body,
                    headers={"Content-Type": "application/octet-stream"},
                    params={"name": name},
                )
                if r.status_code != 200 or r.json()["predictions"] != [expected[name]]:
                    failures.append(f"{name}: {r.status_code} {r.text[:200]}")
                counts[k] += 1

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures[:3]
    assert sum(counts) == 400


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stops_cleanly(models, sig):
    server = Server(models.table, cwd=models.folder)
    status, err = server.stop(sig)
    assert status == 0, err
    assert "Traceback" not in err and err.strip().endswith("lrnn serve: stopped"), err


def test_the_access_log_has_a_line_per_request_on_stderr(models):
    """--access-log logged nothing: uvicorn writes requests at INFO, under the server's
    log level of WARNING (and on stdout, where the help said stderr)."""
    import httpx

    server = Server(models.table, "--access-log", cwd=models.folder)
    httpx.get(server.url + "/health", timeout=5)
    httpx.get(server.url + "/no/such/path", timeout=5)
    status, err = server.stop()
    assert status == 0 and server.stdout == "", server.stdout
    assert '"GET /health HTTP/1.1" 200' in err and '"GET /no/such/path HTTP/1.1" 404' in err, err


def test_port_in_use_is_one_line(models):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = run(["serve", "--model", models.table, "--port", port], models.folder, timeout=60)
    assert_clean_failure(proc, (2,), f"cannot listen on 127.0.0.1:{port}", "--port")


def test_a_body_limit_below_one_byte_is_refused(models):
    proc = run(["serve", "--model", models.table, "--max-body-mb", "1e-300"], models.folder)
    assert_clean_failure(proc, (2,), "--max-body-mb 1e-300 allows no whole byte")


# --------------------------------------------------------------------------------------------
# The page, in a real browser


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium (CI installs it with "
    ".ci/install-chromium)",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open_page(browser, server: Server) -> tuple:
    page = browser.new_page(viewport={"width": 900, "height": 760})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-state=ready]", timeout=15000)
    return page, requests, problems


def _pick_and_check(page, picture: Path, expected: dict) -> None:
    page.set_input_files("#file", str(picture))
    page.wait_for_selector("body[data-state=done]", timeout=15000)
    assert page.text_content("#verdict") == f"\u2068{expected['label']}\u2069"
    shown = page.text_content("#probability")
    p = expected["probability"]
    assert (
        f"{p:.4f}" if 1e-4 <= p <= 1 - 1e-4 else f"{min(p, 1 - p):.2e}".replace("e-0", "e-")
    ) in shown
    page.wait_for_function(
        "['seen', 'heat'].every(id => document.getElementById(id).complete)", timeout=15000
    )
    widths = page.eval_on_selector_all("#pictures img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == 2 and all(w > 0 for w in widths), widths


def _only_own_requests(requests: list[str], server: Server) -> None:
    foreign = [u for u in requests if not (u.startswith(server.url) or u.startswith("data:"))]
    assert not foreign, foreign


@pytest.mark.browser
@needs_chromium
def test_page_predicts_a_picked_picture(browser, image_server, models):
    page, requests, problems = _open_page(browser, image_server)
    picture = models.pictures[1]
    (expected,) = predict_json(models.image, [picture], models.folder)
    _pick_and_check(page, picture, expected)
    _only_own_requests(requests, image_server)
    assert not problems, problems  # no script errors, no CSP violations
    # a bad file: the page shows the server's error line and keeps working
    bad = models.folder / "bad.png"
    bad.write_bytes(b"not a picture")
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("body[data-state=error]", timeout=15000)
    assert "not an image file" in page.text_content("#error")
    assert page.is_hidden("#result")  # not the previous picture's verdict under this error
    # a text file is named as a file too (the page sent its type, and the server answered
    # about a Content-Type the user never chose)
    notes = models.folder / "notes.txt"
    notes.write_text("a shopping list\n")
    page.evaluate("() => { document.body.dataset.state = 'again'; }")
    page.set_input_files("#file", str(notes))
    page.wait_for_selector("body[data-state=error]", timeout=15000)
    assert "notes.txt: not an image file" in page.text_content("#error")
    # two pictures dropped at once: the first was judged without a word about the second
    sent = len([u for u in requests if "/predict" in u])
    page.evaluate(
        """() => { const d = new DataTransfer();
        for (const n of ["a.png", "b.png"]) d.items.add(new File(["x"], n, {type: "image/png"}));
        document.getElementById("drop").dispatchEvent(
          new DragEvent("drop", {dataTransfer: d, bubbles: true, cancelable: true})); }"""
    )
    page.wait_for_selector("body[data-state=error]", timeout=15000)
    assert page.text_content("#error") == "2 files were dropped; drop one picture at a time"
    assert len([u for u in requests if "/predict" in u]) == sent
    second = predict_json(models.image, [models.pictures[2]], models.folder)[0]
    _pick_and_check(page, models.pictures[2], second)
    sent = len([u for u in requests if "/predict" in u])
    page.evaluate("() => { document.body.dataset.state = 'again'; }")
    _pick_and_check(page, models.pictures[2], second)  # the same file again is sent again
    assert len([u for u in requests if "/predict" in u]) == sent + 1
    # an answer that comes late does not replace the answer to a later picture
    page.evaluate(
        """() => { const real = window.fetch; let n = 0;
        window.fetch = (...args) => { n += 1; const wait = n === 1 ? 1500 : 0;
          return new Promise((go) => setTimeout(go, wait)).then(() => real(...args)); }; }"""
    )
    page.set_input_files("#file", str(picture))
    page.set_input_files("#file", str(models.pictures[2]))
    page.wait_for_timeout(2500)
    assert page.text_content("#verdict") == f"\u2068{second['label']}\u2069"
    assert f"{second['probability']:.4f}" in page.text_content("#probability")
    page.close()


@pytest.mark.browser
@needs_chromium
def test_page_says_a_broken_answer_in_one_sentence(browser, table_server):
    """A proxy's HTML error page was parsed as JSON and shown as a SyntaxError."""
    page, requests, problems = _open_page(browser, table_server)
    for typed, said in [
        ("1,,2", "value 2 is empty; fill it in"),  # was dropped: one value fewer
        ("0x10, 1, 2", "value 1 (0x10) is not a number"),  # was read as 16
        # two rows pasted: their count ran one row's end into the next's start
        ("1, 2, 3\n4, 5, 6", "one example at a time: 2 rows were pasted; keep one"),
        ("1, 2\n3 4", "one example at a time: 2 rows were pasted; keep one"),
        ("1,\n2,\nx", "value 3 (x) is not a number"),  # a value per line: one example
        ("", "type one example first: " + ", ".join(f"\u2068{c}\u2069" for c in TABLE_COLUMNS)),
        # was sent, and answered in the API's words ('"rows"[0] has 2 values …')
        (
            "1, 2",
            "the model takes 3 values (\u2068small\u2069, \u2068large\u2069, "
            "\u2068shifted\u2069); 2 were typed",
        ),
    ]:
        page.fill("#row", typed)
        page.click("#go")
        page.wait_for_selector("body[data-state=error]", timeout=15000)
        assert page.text_content("#error") == said
        page.evaluate("() => { document.body.dataset.state = 'again'; }")
    assert not [u for u in requests if "/predict" in u] and not problems
    # an answer still on its way when the page refuses the next input is not drawn over that
    page.evaluate(
        """() => { const real = window.fetch; window.fetch = (...args) =>
          new Promise((go) => setTimeout(go, 1200)).then(() => real(...args)); }"""
    )
    page.fill("#row", ", ".join(["1"] * len(TABLE_COLUMNS)))
    page.click("#go")
    page.fill("#row", "1,,2")
    page.click("#go")
    page.wait_for_timeout(2000)
    assert page.text_content("#error") == "value 2 is empty; fill it in"
    assert page.is_hidden("#result")
    page.route(
        "**/predict*",
        lambda route: route.fulfill(status=502, content_type="text/html", body="<html>bad</html>"),
    )
    page.fill("#row", ", ".join(["1"] * len(TABLE_COLUMNS)))
    page.click("#go")
    page.wait_for_selector("body[data-state=error]", timeout=15000)
    assert page.text_content("#error") == "the server answered 502 Bad Gateway; try again"
    page.close()


@pytest.mark.browser
@needs_chromium
def test_page_shows_probabilities_near_certainty_without_rounding_to_it(browser, table_server):
    """P = 0.99999 was shown as "1.00" and 3e-5 as "0.0000300": the tails now read as powers
    of ten, the upper one as its distance from 1."""
    page, _, problems = _open_page(browser, table_server)
    shown = page.evaluate("[1 - 1e-5, 1 - 2.5e-9, 3e-5, 0.25, 0.99985, 1, 0].map(fmt)")
    assert shown == [
        "1 \u2212 1.00e-5", "1 \u2212 2.50e-9", "3.00e-5", "0.2500", "0.9999", "1", "0",
    ]  # fmt: skip
    # a threshold of 1/3 had its seventeen digits, a logit of 1e20 its twenty-one
    assert page.evaluate("[1 / 3, 0.5, 0.25, 1e-7].map(short)") == ["0.3333", "0.5", "0.25", "1e-7"]
    assert page.evaluate("[1e20, -2.5e6, 12.3456, -1e-5].map(logit)") == [
        "1.000e+20", "-2.500e+6", "12.346", "0.000",
    ]  # fmt: skip
    assert not problems, problems
    page.close()


@pytest.mark.browser
@needs_chromium
def test_page_for_a_table_model(browser, table_server, models):
    page, requests, problems = _open_page(browser, table_server)
    # each name set apart, as a right-to-left one would need (else "אורך, رقم" swap places)
    assert page.text_content("#columns") == ", ".join(f"\u2068{c}\u2069" for c in TABLE_COLUMNS)
    frame = pd.read_csv(models.table_csv)
    row = frame[TABLE_COLUMNS].iloc[0].tolist()
    page.fill("#row", ", ".join(repr(v) for v in row) + ",")  # a trailing comma ends the row
    page.click("#go")
    page.wait_for_selector("body[data-state=done]", timeout=15000)
    expected = predict_json(models.table, [models.table_csv], models.folder)[0]
    assert page.text_content("#verdict") == f"\u2068{expected['label']}\u2069"
    # class names sit in isolates, as <bdi> would set them: a right-to-left name cannot pull
    # the brackets and numbers beside it into its own run
    positive = persist.load_model(models.table).classes[1]
    assert page.text_content("#probability").startswith(f"P(\u2068{positive}\u2069) = ")
    assert f"\u2068{positive}\u2069 or " in page.text_content("#model")
    # one row per feature and the bias, adding up to the logit shown (the bias was left out)
    cells = page.eval_on_selector_all(
        "#contrib-rows tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert [name for name, _ in cells][-1] == "bias b" and len(cells) == 4
    # a standardized model weighs the standardized value, not the one typed: the header says so
    assert page.text_content("#contrib-value") == "w \u2299 x (x standardized)"
    logit = float(page.text_content("#probability").rsplit("logit ", 1)[1])
    assert sum(float(v) for _, v in cells) == pytest.approx(logit, abs=3e-3)
    assert page.is_hidden("#pictures")  # a table has no pictures: no broken image boxes
    # Enter sends a row (a new line means nothing in one), Ctrl+Enter sends as in any form
    for keys in ("Enter", "Control+Enter"):
        page.evaluate("() => { document.body.dataset.state = 'again'; }")
        page.fill("#row", ", ".join(repr(v) for v in row))
        page.press("#row", keys)
        page.wait_for_selector("body[data-state=done]", timeout=15000)
        assert page.text_content("#verdict") == f"\u2068{expected['label']}\u2069"
    _only_own_requests(requests, table_server)
    assert not problems, problems
    page.close()


@pytest.mark.browser
@needs_chromium
@needs_cat
def test_page_screenshot_with_the_cat_model(browser, models, tmp_path):
    pictures = cat_test_pictures(models.folder)
    server = Server(models.cat, cwd=models.folder)
    try:
        page, requests, problems = _open_page(browser, server)
        expected = predict_json(models.cat, [pictures[1]], models.folder)[0]
        _pick_and_check(page, pictures[1], expected)
        shot = tmp_path / "serve-page.png"
        page.screenshot(path=str(shot), full_page=True)
        page.close()
    finally:
        server.stop()
    assert not problems, problems
    image = Image.open(shot)
    assert image.size[0] == 900 and np.asarray(image.convert("L")).std() > 10  # not blank
    if os.environ.get("LRNN_WRITE_DOCS") == "1":
        shutil.copy(shot, ROOT / "docs" / "serve-page.png")


def test_keep_alive_requests_do_not_stall(image_server, models):
    """Sequential requests on one connection answer in milliseconds: the server's sockets
    have TCP_NODELAY, without which every response waited ~40 ms for a delayed ACK."""
    import time

    body = models.pictures[0].read_bytes()
    times = []
    with httpx.Client(timeout=30) as c:
        for _ in range(21):
            start = time.perf_counter()
            r = c.post(
                image_server.url + "/predict", content=body, headers={"Content-Type": "image/png"}
            )
            times.append(time.perf_counter() - start)
            assert r.status_code == 200
    assert sorted(times[1:])[10] < 0.03, times


def test_softmax_layer_explains_the_predicted_class(tmp_path):
    """For K classes the heat map is about each example's predicted class: its column of W."""
    from lrnn import softmax

    proc = run(
        ["train", "digits10", "--iterations", "30", "--no-plot", "--model", "d.safetensors"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    predictor = inference.Predictor.load(tmp_path / "d.safetensors")
    ds = data.subset(data.load("digits10", spec=predictor.spec), np.arange(0, 1797, 200))
    contributions, bias = predictor.contributions(ds)
    W, b = np.asarray(predictor.model.w), np.asarray(predictor.model.b)
    Z = softmax.logits(W, b, ds.X, predictor.spec.scale)
    np.testing.assert_allclose(contributions.sum(axis=1) + bias, Z.max(axis=1), atol=1e-12)
    labels = [r["label"] for r in predictor.records(ds)]
    assert labels == [predictor.model.classes[k] for k in Z.argmax(axis=1)]
    # the application: no threshold for K classes (as the CLI), metadata without a positive
    # class, and each explanation names the class it explains
    from starlette.testclient import TestClient

    from lrnn.serve import create_app

    with TestClient(create_app(predictor)) as app:
        meta = app.get("/metadata").json()
        assert meta["positive_class"] is None and meta["threshold"] is None
        assert "threshold=<0..1>" not in meta["predict"]["options"]
        rows = {"rows": ds.X[:2].tolist()}
        refused = app.post("/predict?threshold=0.3", json=rows)
        assert refused.status_code == 400 and "two-class models only" in refused.json()["error"]
        import io

        from PIL import Image
        from sklearn.datasets import load_digits

        png = io.BytesIO()
        Image.fromarray((load_digits().images[0] * 255 / 16).astype(np.uint8)).save(png, "PNG")
        answer = app.post(
            "/predict?explain=1", content=png.getvalue(), headers={"Content-Type": "image/png"}
        ).json()
        (record,), (explanation,) = answer["predictions"], answer["explanations"]
        assert explanation["class"] == record["label"]


@pytest.mark.browser
@needs_chromium
@pytest.mark.browser
@needs_chromium
def test_page_fits_a_phone_with_long_column_names(browser, tmp_path):
    """A column named average_monthly_balance_last_twelve_months pushed the explanation table
    and the form's label past a 400 px screen: the page scrolled sideways."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    names = ["average_monthly_balance_last_twelve_months", "late_payments", "age"]
    frame = pd.DataFrame(X, columns=names).assign(label=np.where(X[:, 0] > 0, "yes", "no"))
    frame.to_csv(tmp_path / "c.csv", index=False)
    args = ["train", "c.csv", "--solver", "lbfgs", "--no-plot", "--model", "c.safetensors"]
    assert run(args, tmp_path).returncode == 0
    server = Server(tmp_path / "c.safetensors", cwd=tmp_path)
    try:
        for width in (400, 360):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(server.url + "/")
            page.wait_for_selector("body[data-state=ready]", timeout=15000)
            page.fill("#row", "1.5, 2, 40")
            page.click("#go")
            page.wait_for_selector("body[data-state=done]", timeout=15000)
            assert page.evaluate("document.documentElement.scrollWidth") == width
            page.close()
    finally:
        server.stop()


def test_page_lists_every_class_of_a_softmax_layer(browser, tmp_path):
    """A ten-digit model: the page names its classes and ranks all ten probabilities."""
    from sklearn.datasets import load_digits

    proc = run(
        ["train", "digits10", "--iterations", "30", "--no-plot", "--model", "d.safetensors"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    picture = tmp_path / "seven.png"
    pixels = np.rint(load_digits().images[7] * (255 / 16)).astype(np.uint8)
    Image.fromarray(pixels, "L").save(picture)
    (expected,) = predict_json(tmp_path / "d.safetensors", [picture], tmp_path)
    server = Server(tmp_path / "d.safetensors", cwd=tmp_path)
    try:
        page, requests, problems = _open_page(browser, server)
        assert "10 classes" in page.text_content("#model")
        page.set_input_files("#file", str(picture))
        page.wait_for_selector("body[data-state=done]", timeout=15000)
        assert page.text_content("#verdict") == f"\u2068{expected['label']}\u2069"
        cells = page.eval_on_selector_all(
            "#class-rows tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert [name for name, _ in cells] == sorted(
            expected["probabilities"], key=expected["probabilities"].get, reverse=True
        )
        assert len(cells) == 10 and cells[0][0] == expected["label"]
        for name, shown in cells:
            assert float(shown) == pytest.approx(expected["probabilities"][name], abs=1e-4)
        assert expected["label"] in page.text_content("#heat-caption")
        _only_own_requests(requests, server)
        assert not problems, problems
        page.close()
    finally:
        server.stop()


def test_a_text_model_serves_documents(tmp_path):
    """A text model takes documents — text/plain lines or JSON {"documents": […]} — and answers
    as ``lrnn predict -`` does; its explanation is the words that moved the logit."""
    from starlette.testclient import TestClient

    from lrnn.serve import create_app
    from tests.test_text import POSITIVE, make_corpus

    make_corpus(tmp_path / "reviews", per_class=20)
    args = ["--min-df", "1", "--solver", "newton", "--no-plot", "--model", "t.safetensors"]
    assert run(["train", "reviews", *args], tmp_path).returncode == 0
    # a byte-order mark that reaches standard input a byte at a time still names UTF-16
    slow = subprocess.Popen(
        [*lrnn_command(), "predict", "--model", "t.safetensors", "-"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wide = "a wonderful superb film\nthe plot was dull and poor\n".encode("utf-16")
    slow.stdin.write(wide[:1])
    slow.stdin.flush()
    time.sleep(0.5)
    out, err = slow.communicate(wide[1:], timeout=60)
    assert slow.returncode == 0, err
    assert len(out.decode().splitlines()) == 3
    docs = "a wonderful superb film\nthe plot was dull and poor\n"
    cli = run(["predict", "--model", "t.safetensors", "-", "--json"], tmp_path, stdin=docs)
    want = [json.loads(line) for line in cli.stdout.splitlines()]
    predictor = inference.Predictor.load(tmp_path / "t.safetensors")
    with TestClient(create_app(predictor)) as app:
        plain = app.post("/predict?explain=1", content=docs, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 200, plain.text
        got = plain.json()
        assert [r["probability"] for r in got["predictions"]] == [r["probability"] for r in want]
        assert [r["label"] for r in got["predictions"]] == ["pos", "neg"]
        words = [term for term, _ in got["explanations"][0]["contributions"]]
        assert words and set(words[:2]) <= set(POSITIVE)
        as_json = app.post("/predict", json={"documents": docs.splitlines()}).json()
        assert as_json["predictions"] == got["predictions"]
        assert "warnings" not in got  # every document had a word the model knows
        # No known word: scored by the bias alone, and the answer says so as the CLI does.
        unknown = app.post("/predict", json={"documents": ["zzyzx qwop", "superb"]}).json()
        assert unknown["warnings"] == [
            "1 document(s) hold no word the model knows (e.g. 'document 1'); their "
            "probabilities come from the bias alone."
        ]
        assert app.post("/predict", content=b"\x89PNG", headers={"Content-Type": "image/png"}
                        ).status_code == 415  # fmt: skip
        empty = app.post("/predict", content=b"good\n\nbad", headers={"Content-Type": "text/plain"})
        assert empty.status_code == 422 and "line 2: the document is empty" in empty.json()["error"]
        meta = app.get("/metadata").json()
        assert "documents" in meta["predict"]["takes"]
        assert meta["limits"]["max_documents"] == inference.MAX_DOCUMENTS_PER_REQUEST
        nothing = app.post("/predict", content=b"", headers={"Content-Type": "text/plain"})
        assert nothing.status_code == 400
        assert "empty; send documents, one per line" in nothing.json()["error"]
        none = app.post("/predict", json={"documents": []})  # JSON: told in JSON's words
        assert none.status_code == 422
        assert 'send {"documents": ["…", …]} with one or more' in none.json()["error"]
        # A body in another encoding is read by its charset; without one, the way out names it.
        latin = "a wonderful superb café\n".encode("latin-1")
        named = app.post(
            "/predict", content=latin, headers={"Content-Type": "text/plain; charset=latin-1"}
        )
        assert named.status_code == 200 and named.json()["predictions"][0]["label"] == "pos"
        unnamed = app.post("/predict", content=latin, headers={"Content-Type": "text/plain"})
        assert unnamed.status_code == 422 and "charset=latin-1" in unnamed.json()["error"]
        # UTF-16 is split into lines after decoding (its 0x0a bytes are halves of characters)
        for charset in ("utf-16", "utf-16-le", "utf-32"):
            wide = app.post(
                "/predict",
                content="a wonderful superb café\r\nawful dull\n".encode(charset),
                headers={"Content-Type": f"text/plain; charset={charset}"},
            )
            assert wide.status_code == 200, (charset, wide.text)
            assert [p["label"] for p in wide.json()["predictions"]] == ["pos", "neg"]
        # ... and so is a body whose byte-order mark alone names UTF-16/32 (line 2 was
        # "binary"); a lone CR is no line break, as for `lrnn predict -`
        for encoding in ("utf-16", "utf-32"):
            marked = app.post(
                "/predict",
                content="a wonderful superb café\nawful dull\n".encode(encoding),
                headers={"Content-Type": "text/plain"},
            )
            assert marked.status_code == 200, (encoding, marked.text)
            assert [p["label"] for p in marked.json()["predictions"]] == ["pos", "neg"]
        one = app.post(
            "/predict", content=b"wonderful\rdull\r\n", headers={"Content-Type": "text/plain"}
        )
        assert one.status_code == 200 and len(one.json()["predictions"]) == 1
        # Text that is not text: a lone surrogate (valid JSON), a codec that raises UnicodeError
        lone = app.post("/predict", content=b'{"documents": ["good \\ud800 film"]}',
                        headers={"Content-Type": "application/json"})  # fmt: skip
        assert lone.status_code == 422 and "lone surrogate (\\ud800)" in lone.json()["error"]
        nul = app.post("/predict", json={"documents": ["good\u0000day"]})  # no file, no option
        assert nul.status_code == 422 and nul.json()["error"] == (
            "document 1: holds a NUL character (\\u0000); remove it."
        )
        for charset in ("punycode", "undefined"):
            odd = app.post("/predict", content=b"good film\n",
                           headers={"Content-Type": f"text/plain; charset={charset}"})  # fmt: skip
            assert odd.status_code == 422, (charset, odd.text)


@pytest.mark.browser
@needs_chromium
def test_page_classifies_a_typed_document_with_a_text_model(browser, tmp_path):
    """A text model's page: type a document, get its class and the words that decided it."""
    from tests.test_text import make_corpus

    make_corpus(tmp_path / "reviews", per_class=20)
    args = ["--min-df", "1", "--solver", "newton", "--no-plot", "--model", "t.safetensors"]
    assert run(["train", "reviews", *args], tmp_path).returncode == 0
    server = Server(tmp_path / "t.safetensors", cwd=tmp_path)
    try:
        page, requests, problems = _open_page(browser, server)
        assert "text model" in page.text_content("#model")
        assert page.text_content("#row-label").startswith("One document")
        page.fill("#row", "a wonderful and superb film")
        page.click("#go")
        page.wait_for_selector("body[data-state=done]", timeout=15000)
        assert page.text_content("#verdict") == "\u2068pos\u2069"
        words = page.eval_on_selector_all(
            "#contrib-rows tr td:first-child", "c => c.map(x => x.textContent)"
        )
        assert {"wonderful", "superb"} <= set(words)
        assert page.is_hidden("#note")
        page.fill("#row", "zzyzx qwop")  # no word the model knows: the page says so
        page.click("#go")
        page.wait_for_selector("#note:not([hidden])", timeout=15000)  # no eval: the CSP
        assert "knows none of these words" in page.text_content("#note")
        _only_own_requests(requests, server)
        assert not problems, problems
        page.close()
    finally:
        server.stop()


def test_a_body_that_stops_arriving_is_answered_408_and_a_huge_answer_is_refused(monkeypatch):
    """A client that sends part of a body and waits is cut off after BODY_SECONDS (its bytes
    would stay in memory); an answer that would take gigabytes (many classes, long names) is
    refused before it is built."""
    import anyio

    from lrnn import serve
    from lrnn.errors import DataError

    class Stalled:
        headers = {"content-length": "100"}

        async def stream(self):
            yield b"x" * 10
            await anyio.sleep(30)

    monkeypatch.setattr(serve, "BODY_SECONDS", 0.2)

    def run_async(*args):  # on a thread of its own: the browser tests keep a loop on this one
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(anyio.run, *args).result()

    with pytest.raises(serve.ApiError) as caught:
        run_async(serve._read_body, Stalled(), 1000)
    assert caught.value.status == 408 and "longer than 0.2 s" in caught.value.message

    class Whole:
        headers = {"content-length": "10"}

        async def stream(self):
            yield b"y" * 10

    receiving = serve._Receiving(cap=15)  # the bytes all requests may be receiving at once
    assert run_async(serve._read_body, Whole(), 1000, receiving) == b"y" * 10
    assert receiving.held == 0  # given back once the body is in
    receiving.take(10)  # another upload under way
    with pytest.raises(serve.ApiError) as caught:
        run_async(serve._read_body, Whole(), 1000, receiving)
    assert caught.value.status == 503 and receiving.held == 10

    class Oversized:  # declared over the limit: a 413, whatever else is being received
        headers = {"content-length": "1500"}

        async def stream(self):
            for _ in range(3):
                yield b"z" * 500

    with pytest.raises(serve.ApiError) as caught:
        run_async(serve._read_body, Oversized(), 1000, receiving)
    assert caught.value.status == 413 and receiving.held == 10
    serve._check_answer_size(3000, ["c"] * 3)  # small: fine
    with pytest.raises(DataError, match=r"3000 examples of 300 classes would take about \d+ MiB"):
        serve._check_answer_size(3000, ["n" * 990] * 300)


def test_too_many_images_is_over_the_limit_not_malformed(image_server, client, models):
    from lrnn.serve import MAX_IMAGES_PER_REQUEST

    picture = models.pictures[0]
    files = [
        ("images", (f"{i}{picture.suffix}", picture.read_bytes(), "application/octet-stream"))
        for i in range(MAX_IMAGES_PER_REQUEST + 1)
    ]
    response = client.post(image_server.url + "/predict", files=files)
    assert response.status_code == 422, response.text
    assert f"over the limit of {MAX_IMAGES_PER_REQUEST}" in response.json()["error"]
    assert client.get(image_server.url + "/health").status_code == 200


def test_an_svmlight_model_serves_the_bits_lrnn_predict_prints(tmp_path):
    """Rows sent as JSON go through the sparse kernel that scores an svmlight file, so the
    answers are the same floats, not the same to rounding."""
    from sklearn.datasets import dump_svmlight_file, load_svmlight_file
    from starlette.testclient import TestClient

    from lrnn.serve import create_app

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 40)) * (rng.random((300, 40)) < 0.3)
    dump_svmlight_file(X, (X[:, :5].sum(axis=1) > 0).astype(int), str(tmp_path / "s.svm"))
    args = ["--solver", "newton", "--no-plot", "--model", "s.safetensors"]
    assert run(["train", "s.svm", *args], tmp_path).returncode == 0
    cli = run(["predict", "--model", "s.safetensors", "s.svm", "--json"], tmp_path)
    want = [json.loads(line)["probability"] for line in cli.stdout.splitlines()]
    X = load_svmlight_file(str(tmp_path / "s.svm"))[0].toarray()  # the file's own digits
    with TestClient(create_app(inference.Predictor.load(tmp_path / "s.safetensors"))) as app:
        answer = app.post("/predict", json={"rows": X.tolist()})
        explained = app.post("/predict?explain=1", json={"rows": X[:2].tolist()})
        takes = app.get("/metadata").json()["predict"]["takes"]
    # no feature names: rows as objects cannot be matched, and /metadata does not offer them
    assert "no feature names" in takes and "columns" not in takes
    assert [r["probability"] for r in answer.json()["predictions"]] == want
    assert explained.status_code == 200 and len(explained.json()["explanations"]) == 2
    # unnamed columns are named as the report names them, by the file's own indices (they
    # were x1…x40 here, the report's feature 0…39)
    names = [name for name, _ in explained.json()["explanations"][0]["contributions"]]
    assert names == [f"feature {j}" for j in range(40)]  # dump_svmlight_file counts from 0


def test_a_utf16_body_is_held_to_the_size_of_each_document_not_of_one():
    """A UTF-16 body is decoded whole, then split: a body over one document's limit (8 MiB)
    of many short lines was refused as "the body: over lrnn's limit … per document"."""
    from lrnn.data import limits
    from lrnn.data.text import settings

    spec = data.Preprocessing(kind="text", text=settings(min_df=1))
    line = "a good film " * 400 + "\n"
    body = (line * 900).encode("utf-16")
    assert len(body) > limits.MAX_DOCUMENT_BYTES
    lines, notes = inference.text_lines(body, spec, "utf-16")
    assert len(lines) == 900 and lines[0] == line.strip("\n") and notes == []


def test_utf8_lines_read_in_a_models_one_byte_encoding_are_said_in_the_answer():
    """A server of a model trained with --encoding latin-1 read an unnamed UTF-8 body as
    latin-1 ('café' as 'cafÃ©'), a 200 with no warning, where lrnn predict warns; a body
    that names its charset is read as it says, with nothing to tell."""
    from lrnn.data.text import settings

    spec = data.Preprocessing(kind="text", text=settings(min_df=1, encoding="latin-1"))
    body = "the café was wonderful\nplain words\n".encode()
    lines, notes = inference.text_lines(body, spec)
    assert lines[0] == "the cafÃ© was wonderful"
    assert notes == [
        "1 of 2 document(s) are UTF-8 text read as latin-1 (e.g. 'line 1'), so their accented "
        "letters are misread ('é' as 'Ã©') and so are their words; if they are UTF-8, send "
        "Content-Type: text/plain; charset=utf-8."
    ]
    lines, notes = inference.text_lines(body, spec, "utf-8")
    assert lines[0] == "the café was wonderful" and notes == []
    assert inference.text_lines("café".encode("latin-1"), spec)[1] == []  # latin-1 itself


def test_a_body_of_old_mac_line_ends_is_said_to_be_one_document():
    """Lines ended by CR alone are one line: lrnn predict - warns, the server answered one
    merged document without a word."""
    from lrnn.data.text import settings

    spec = data.Preprocessing(kind="text", text=settings(min_df=1))
    lines, notes = inference.text_lines(b"great\rbad\r", spec)
    assert lines == ["great\rbad"] and len(notes) == 1 and "carriage returns (CR)" in notes[0]
    assert inference.text_lines(b"great\r\nbad\r\n", spec) == (["great", "bad"], [])


def test_an_animation_is_answered_with_the_warning_predict_prints(image_server, client, tmp_path):
    """The client sees no server log: what lrnn predict warns of comes back in the answer."""
    from PIL import Image

    frames = [Image.new("RGB", (8, 8), (60 * i, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "still.gif")
    for name, said in [("anim.gif", True), ("still.gif", False)]:
        response = client.post(
            image_server.url + "/predict",
            content=(tmp_path / name).read_bytes(),
            headers={"Content-Type": "image/gif"},
            params={"name": name},
        )
        assert response.status_code == 200, response.text
        if said:
            assert response.json()["warnings"] == [
                "anim.gif: holds 3 frames (an animation or several pages); only the first is "
                "used — save the frame you mean as a picture of its own."
            ]
        else:
            assert "warnings" not in response.json()


def test_a_connection_that_never_finishes_its_headers_gets_408_and_is_closed(models, monkeypatch):
    """uvicorn times connections out only between requests: one that sent nothing, or half a
    request line, held its socket for good (ten thousand of them filled the descriptor table).
    A slow body still has its own, longer limit: the header deadline does not cut it."""
    import uvicorn

    from lrnn import serve, serve_connections

    monkeypatch.setattr(serve_connections, "HEADER_SECONDS", 0.5)
    app = serve.create_app(inference.Predictor.load(models.table))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    for name, value in serve_connections.uvicorn_options().items():
        setattr(config, name, value)
    server = uvicorn.Server(config)
    sock = serve.bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def exchange(*parts: bytes, pause: float = 0.0) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            for i, part in enumerate(parts):
                if i:
                    time.sleep(pause)
                conn.sendall(part)
            received = b""
            while chunk := conn.recv(65536):  # until the server closes the connection
                received += chunk
            return received

    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        start = time.monotonic()
        silent = exchange()
        assert silent.startswith(b"HTTP/1.1 408") and b"headers took longer than" in silent
        assert time.monotonic() - start < 5
        half = exchange(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert half.startswith(b"HTTP/1.1 408")
        body = b'{"rows": [[1, 2, 3]]}'
        headers = (
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        answered = exchange(headers, body[:10], body[10:], pause=0.4)  # 0.8 s in all
        assert answered.startswith(b"HTTP/1.1 200"), answered[:200]
    finally:
        server.should_exit = True
        thread.join(10)


def test_running_out_of_descriptors_is_one_line_now_and_then_not_a_traceback_each():
    import logging

    from lrnn.serve_connections import AcceptErrorsOnceInAWhile

    def record(message: str) -> logging.LogRecord:
        error = OSError(24, "Too many open files")
        return logging.LogRecord(
            "asyncio", logging.ERROR, "x", 1, message, (), (OSError, error, None)
        )

    quiet = AcceptErrorsOnceInAWhile()
    first = record("socket.accept() out of system resource\nsocket: <socket>")
    assert quiet.filter(first) and first.exc_info is None
    assert "cannot accept more connections" in first.getMessage()
    assert "Too many open files" in first.getMessage()
    assert not quiet.filter(record("socket.accept() out of system resource"))  # 10 s later
    other = record("something else")
    assert quiet.filter(other) and other.exc_info is not None


@pytest.mark.browser
@needs_chromium
def test_page_sends_utf8_and_says_what_the_server_warned_of(browser, image_server, tmp_path):
    """The page's typed text went as text/plain without a charset, which the server reads in
    the model's encoding: a --encoding latin-1 model read 'délicieux' as 'dÃ©licieux' and
    answered from the bias. And the answer's warnings (see-through pixels, a misread
    encoding) never reached the page."""
    import random

    pick = random.Random(1).choice
    good, bad = "café délicieux génial".split(), "dégoûtant fade raté".split()
    common = "le la un et est très avec du plat".split()
    for label, words in (("pos", good), ("neg", bad)):
        (tmp_path / "fr" / label).mkdir(parents=True)
        for i in range(20):
            text = " ".join(pick(common + words) for _ in range(12)) + "\n"
            (tmp_path / "fr" / label / f"{i}.txt").write_bytes(text.encode("latin-1"))
    args = ["--encoding", "latin-1", "--min-df", "1", "--no-plot", "--model", "fr.safetensors"]
    assert run(["train", "fr", "--solver", "newton", *args], tmp_path).returncode == 0
    typed = "délicieux génial plat"
    expected = (
        subprocess.run(
            [*lrnn_command(), "predict", "--model", "fr.safetensors", "--encoding", "utf-8", "-"],
            cwd=tmp_path,
            input=typed + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.splitlines()[-1]
        .split("\t")
    )
    server = Server(tmp_path / "fr.safetensors", cwd=tmp_path)
    try:
        page, _, problems = _open_page(browser, server)
        page.fill("#row", typed)
        page.click("#go")
        page.wait_for_selector("body[data-state=done]", timeout=15000)
        assert page.text_content("#verdict") == f"\u2068{expected[-1]}\u2069"
        words = page.eval_on_selector_all(
            "#contrib-rows tr td:first-child", "c => c.map(x => x.textContent)"
        )
        assert {"délicieux", "génial"} <= set(words)  # read as typed, not as 'dÃ©licieux'
        assert page.is_hidden("#note")
        assert not problems, problems
        page.close()
    finally:
        server.stop()
    page, _, problems = _open_page(browser, image_server)
    see_through = np.zeros((12, 10, 4), np.uint8)
    see_through[..., 0], see_through[6:, :, 3] = 200, 255  # the top half fully see-through
    Image.fromarray(see_through, "RGBA").save(tmp_path / "half.png")
    page.set_input_files("#file", str(tmp_path / "half.png"))
    page.wait_for_selector("#note:not([hidden])", timeout=15000)
    assert "see-through" in page.text_content("#note")
    assert not problems, problems
    page.close()

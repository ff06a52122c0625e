"""The page ``lrnn serve`` shows at ``/``: drop a picture (or paste a row), see the verdict.

One HTML document with its style and script inline and nothing loaded from elsewhere, so it
works offline. The page asks ``/metadata`` what the model takes, sends the picture to
``/predict?explain=1`` and shows the class, the probability, the picture as the model sees it
and the heat map of ``w ⊙ x`` — both pictures come back from the server as PNG data URIs, so the
page carries no weights and does no image processing itself. Everything the server says is
put on the page with ``textContent`` (never as HTML), and :data:`CONTENT_SECURITY_POLICY` allows
exactly this style and this script (by their SHA-256), images from data URIs, and requests to
the page's own server.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
[hidden] { display: none !important; }
body { font: 16px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
header { background: #1d2330; color: #fff; padding: 14px 24px; }
header h1 { font-size: 20px; margin: 0; }
header p { margin: 2px 0 0; color: #c9cfdb; font-size: 14px; overflow-wrap: anywhere; }
main { max-width: 860px; margin: 24px auto; padding: 0 24px; }
#drop { display: block; border: 2px dashed #8a94a6; border-radius: 10px; padding: 36px;
        text-align: center; background: #fff; cursor: pointer; }
#drop.over { border-color: #2b6cb0; background: #ebf4ff; }
#drop input { display: block; margin: 12px auto 0; max-width: 100%; }
textarea { width: 100%; min-height: 70px; font: 14px monospace; box-sizing: border-box; }
button { margin-top: 8px; font-size: 15px; padding: 6px 16px; }
#result { background: #fff; border-radius: 10px; padding: 18px 24px; margin-top: 20px; }
#verdict { font-size: 28px; font-weight: 700; margin: 0; }
#probability { margin: 4px 0 12px; color: #4a5263; }
.pictures { display: flex; gap: 24px; flex-wrap: wrap; }
figure { margin: 0; }
figure img { width: 256px; height: 256px; max-width: 100%; height: auto; aspect-ratio: 1;
             image-rendering: pixelated; border: 1px solid #d0d5dd; background: #fff; }
figcaption { font-size: 13px; color: #4a5263; max-width: 256px; }
table { border-collapse: collapse; font-size: 14px; }
td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #e2e5ea;
         overflow-wrap: anywhere; }  /* a long column name wraps on a phone, not the page */
#row-label { overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;
         overflow-wrap: normal; }
.pos { color: #b42318; } .neg { color: #1d4ed8; }
tr.bias td { border-top: 2px solid #c9cfdb; font-style: italic; }
#note { color: #92400e; }
#error { color: #b42318; background: #fff1f0; padding: 10px 14px; border-radius: 8px; }
#busy { color: #4a5263; }
@media (max-width: 480px) { main { padding: 0 12px; } #drop { padding: 20px 12px; }
  #result { padding: 14px 12px; } }
"""

SCRIPT = """
"use strict";
const $ = (id) => document.getElementById(id);
let meta = null;
let latest = 0;  // the number of the last request sent: an older answer is not shown

function showError(message) {
  latest += 1;  // an answer still on its way is older than this error: it is not drawn
  $("error").textContent = message;
  $("error").hidden = false;
  $("result").hidden = true;  // not the previous input's verdict under this input's error
  $("busy").hidden = true;
  document.body.dataset.state = "error";
}

async function answer(response) {
  // One sentence for any answer that is not lrnn's JSON (a proxy's HTML page, a crash).
  const text = await response.text();
  let out = null;
  try { out = JSON.parse(text); } catch (e) { out = null; }
  if (response.ok && out) return out;
  const said = out && typeof out.error === "string" ? out.error
    : "the server answered " + [response.status, response.statusText].join(" ").trim() +
      "; try again";  // HTTP/2 has no status text
  throw new Error(said);
}

function logit(z) {
  // a logit of 1e20 read "100000000000000000000.000": past a million, a power of ten
  if (Math.abs(z) >= 1e6) return z.toExponential(3);
  return (Math.abs(z) < 5e-4 ? 0 : z).toFixed(3);  // not "-0.000"
}

function short(t) {
  // a threshold chosen as 1/3 is shown as 0.3333, not with its seventeen digits
  return String(Number(t.toPrecision(4)));
}

function fmt(p) {
  // Both tails as powers of ten: 0.99999 read "1.00", certainty it is not; 1 − p is exact
  // there (p > 0.5), so the distance from certainty keeps its digits.
  if (p >= 1e-4 && p <= 1 - 1e-4) return p.toFixed(4);
  if (p === 0 || p === 1 || !Number.isFinite(p)) return String(p);
  return p < 0.5 ? p.toExponential(2) : "1 \u2212 " + (1 - p).toExponential(2);
}

// A class name set apart from the text around it (First Strong Isolate … Pop Directional
// Isolate, what <bdi> does): a right-to-left name otherwise pulls the brackets and numbers
// beside it into its own run, and "P(name) = 0.73" reads scrambled.
const iso = (name) => "\\u2068" + name + "\\u2069";

function show(record, explanation, warnings) {
  $("error").hidden = true;
  $("verdict").textContent = iso(record.label);  // as the probability line sets it
  const many = meta.classes.length > 2;
  $("probability").textContent = many
    ? "P(" + iso(record.label) + ") = " + fmt(record.probability) +
      " \\u00b7 logit " + logit(explanation.logit)
    : "P(" + iso(meta.classes[1]) + ") = " + fmt(record.probability) +
      " \\u00b7 threshold " + short(meta.threshold) + " \\u00b7 logit " + logit(explanation.logit);
  // what the server warned of (a misread encoding, see-through pixels, a second frame left
  // out) is said here as lrnn predict says it, before the page's own note
  const notes = (warnings || []).map(String);
  if (meta.kind === "text" && explanation.contributions.length === 0) {
    notes.push("The model knows none of these words: the probability comes from its bias alone.");
  }
  $("note").hidden = notes.length === 0;
  $("note").textContent = notes.join(" ");
  $("classes").hidden = !many;
  if (many) {
    const body = $("class-rows");
    body.replaceChildren();
    const ranked = Object.entries(record.probabilities).sort((a, b) => b[1] - a[1]);
    for (const [name, p] of ranked) {
      const tr = document.createElement("tr");
      const a = document.createElement("td");
      a.textContent = name;
      const b = document.createElement("td");
      b.className = "num";
      b.textContent = fmt(p);
      tr.append(a, b);
      body.append(tr);
    }
    $("heat-caption").textContent = "w \\u2299 x with the weights of \\u201c" + iso(record.label) +
      "\\u201d: red pushed towards it, blue away from it";
  }
  const pictures = meta.kind === "image";
  $("pictures").hidden = !pictures;
  $("contrib").hidden = pictures;
  if (pictures) {
    $("seen").src = explanation.input_png;
    $("heat").src = explanation.heatmap_png;
  } else {
    const body = $("contrib-rows");
    body.replaceChildren();
    const rows = explanation.contributions.slice()
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    for (const [name, value] of rows) {
      const tr = document.createElement("tr");
      const a = document.createElement("td");
      a.textContent = name;
      const b = document.createElement("td");
      b.className = "num " + (value >= 0 ? "pos" : "neg");
      b.textContent = (value >= 0 ? "+" : "") + value.toFixed(4);
      tr.append(a, b);
      body.append(tr);
    }
    // the bias is the rest of the logit: without it the rows do not add up to the logit shown
    if (typeof explanation.bias === "number") {
      const tr = document.createElement("tr");
      tr.className = "bias";
      const a = document.createElement("td");
      a.textContent = "bias b";
      const b = document.createElement("td");
      b.className = "num " + (explanation.bias >= 0 ? "pos" : "neg");
      b.textContent = (explanation.bias >= 0 ? "+" : "") + explanation.bias.toFixed(4);
      tr.append(a, b);
      body.append(tr);
    }
  }
  $("result").hidden = false;
  $("busy").hidden = true;
  document.body.dataset.state = "done";
}

async function predict(body, type, name) {
  const mine = ++latest;
  document.body.dataset.state = "busy";
  $("busy").hidden = false;
  let query = "predict?explain=1";
  if (name) query += "&name=" + encodeURIComponent(name);
  let out = null;
  let failed = null;
  try {
    const response = await fetch(query, {
      method: "POST", headers: {"Content-Type": type}, body: body,
    });
    out = await answer(response);
  } catch (e) {
    failed = e instanceof TypeError ? "the server did not answer; is lrnn serve still running?"
      : e.message;
  }
  if (mine !== latest) return;  // a later input was sent meanwhile: its answer is the one shown
  if (failed !== null) { showError(failed); return; }
  show(out.predictions[0], out.explanations[0], out.warnings);
}

function sendFile(file) {
  // only a picture's own type goes with it: the server names any other file by its bytes
  const type = file && file.type.startsWith("image/") ? file.type : "application/octet-stream";
  if (file) predict(file, type, file.name);
  $("file").value = "";  // choosing the same file again is a new request
}

function sendRow() {
  if (meta.kind === "text") {
    const text = $("row").value.replace(/\\s+/g, " ").trim();
    if (!text) { showError("write a document first"); return; }
    predict(text, "text/plain; charset=utf-8", "");  // else read in the model's encoding
    return;
  }
  const text = $("row").value.trim().replace(/[,;]$/, "");  // "1, 2, 3," is three values
  if (!text) { showError("type one example first: " + $("columns").textContent); return; }
  // commas (or semicolons) separate the values when there are any, else spaces; an empty
  // value between two commas is a missing value, not one value fewer
  const parts = /[,;]/.test(text) ? text.split(/[,;]/).map((v) => v.trim()) : text.split(/\\s+/);
  // the wrong count over two or more lines of several values each: rows pasted from a table
  // (their count ran one row's end into the next's start); one row that wraps, or a value
  // per line, has the model's count and is one example
  const rows = text.split("\\n").filter((l) => /\\S[,;\\s]+\\S/.test(l.trim()));
  if (parts.length !== meta.n_features && rows.length > 1) {
    showError("one example at a time: " + rows.length + " rows were pasted; keep one");
    return;
  }
  if (parts.length !== meta.n_features) {
    const names = meta.feature_names || [];
    showError("the model takes " + meta.n_features + " values" +
      (names.length ? " (" + names.map(iso).join(", ") + ")" : "") + "; " + parts.length +
      (parts.length === 1 ? " was" : " were") + " typed");
    return;
  }
  const empty = parts.findIndex((v) => v === "");
  if (empty >= 0) { showError("value " + (empty + 1) + " is empty; fill it in"); return; }
  const decimal = /^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$/;
  const odd = parts.findIndex((v) => !decimal.test(v) || !Number.isFinite(Number(v)));
  if (odd >= 0) {
    const shown = parts[odd].replace(/\\s+/g, " ").slice(0, 20);  // two pasted rows: one line
    showError("value " + (odd + 1) + " (" + shown + ") is not a number");
    return;
  }
  predict(JSON.stringify({rows: [parts.map(Number)]}), "application/json", "");
}

async function init() {
  meta = await answer(await fetch("metadata"));
  if (!Array.isArray(meta.classes)) throw new Error("it names no classes");
  const K = meta.classes.length;
  const shown = K > 2
    ? K + " classes (" + meta.classes.slice(0, 4).map(iso).join(", ") +
      (K > 4 ? ", \\u2026" : "") + ")"
    : iso(meta.classes[1]) + " or " + iso(meta.classes[0]);
  $("model").textContent = meta.model + " \\u00b7 " + shown + " \\u00b7 " + meta.kind +
    " model \\u00b7 lrnn " + meta.lrnn_version;
  if (meta.kind === "image") {
    const [h, w] = meta.image_shape;
    $("seen-caption").textContent =
      "As the model sees it: " + h + " \\u00d7 " + w + " pixels";
    $("heat-caption").textContent = K > 2
      ? "w \\u2299 x with the weights of the class predicted"
      : "w \\u2299 x: red pushed towards \\u201c" + iso(meta.classes[1]) +
        "\\u201d, blue towards \\u201c" + iso(meta.classes[0]) + "\\u201d";
    $("image-ui").hidden = false;
    const drop = $("drop");
    $("file").addEventListener("change", (e) => sendFile(e.target.files[0]));
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      const files = e.dataTransfer.files;
      // several pictures dropped at once: which one the verdict is about would be a guess
      if (files.length > 1) {
        showError(files.length + " files were dropped; drop one picture at a time");
      } else {
        sendFile(files[0]);
      }
    });
  } else {
    const names = meta.feature_names || [];
    if (meta.kind === "text") {
      $("row-label").firstChild.textContent = "One document: ";
      $("columns").textContent = "(its words are looked up in the model's vocabulary)";
      $("contrib-head").textContent = "word";
    } else {
      $("columns").textContent =
        names.length ? names.map(iso).join(", ") : meta.n_features + " numbers";
      // a standardized model weighs (x − mean) / std, not the value typed
      if (meta.preprocessing && meta.preprocessing.mean) {
        $("contrib-value").textContent = "w \\u2299 x (x standardized)";
      }
    }
    $("table-ui").hidden = false;
    $("go").addEventListener("click", sendRow);
    // Ctrl+Enter (⌘+Enter) sends, as in most forms with a text box; a plain Enter sends a
    // table's row, where a new line has no meaning, and starts a new line in a document
    $("row").addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || e.isComposing) return;
      if (e.ctrlKey || e.metaKey || (meta.kind !== "text" && !e.shiftKey)) {
        e.preventDefault();
        sendRow();
      }
    });
  }
  document.body.dataset.state = "ready";
}

init().catch((e) => {
  $("model").textContent = "the model could not be read";
  showError("cannot read the model's metadata: " + (e instanceof TypeError
    ? "the server did not answer" : e.message));
});
"""

BODY = """
<header><h1>lrnn serve</h1><p id="model">loading\u2026</p></header>
<main>
<section id="image-ui" hidden>
  <label id="drop" for="file">Drop a picture here, or choose one
    <input type="file" id="file" accept="image/*"></label>
</section>
<section id="table-ui" hidden>
  <label for="row" id="row-label">One example, values separated by commas:
    <span id="columns"></span></label>
  <textarea id="row" spellcheck="false"></textarea>
  <button id="go" type="button" title="Ctrl+Enter">Predict</button>
</section>
<p id="busy" hidden>Working…</p>
<p id="error" role="alert" hidden></p>
<section id="result" hidden aria-live="polite">
  <p id="verdict"></p>
  <p id="probability"></p>
  <p id="note" hidden></p>
  <table id="classes" hidden><thead><tr><th>class</th><th>probability</th></tr></thead>
    <tbody id="class-rows"></tbody></table>
  <div id="pictures" class="pictures">
    <figure><img id="seen" alt="the picture as the model sees it">
      <figcaption id="seen-caption"></figcaption></figure>
    <figure><img id="heat" alt="heat map of w times x">
      <figcaption id="heat-caption"></figcaption></figure>
  </div>
  <table id="contrib" hidden><thead><tr><th id="contrib-head">feature</th>
    <th id="contrib-value">w \u2299 x</th></tr></thead>
    <tbody id="contrib-rows"></tbody></table>
</section>
</main>
"""

PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    f"<title>lrnn serve</title>\n<style>{STYLE}</style></head>\n"
    f"<body>{BODY}<script>{SCRIPT}</script></body></html>\n"
)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


#: Only this page's own style and script run; images only from data URIs; requests only to
#: the server that sent the page.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_sha256(STYLE)}; script-src {_sha256(SCRIPT)}; "
    "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

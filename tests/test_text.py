"""Text and svmlight data: the vectorizer's numbers, its saved form, svmlight numbering and
widths, and the README's text example end to end through the real ``lrnn`` executable."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import random
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer

from lrnn import data, persist
from lrnn.data import text, text_folders
from lrnn.data.text import TextVectorizer
from lrnn.errors import DataError, UsageError
from tests.cli_helpers import run

POSITIVE = "great wonderful loved excellent superb enjoyable delightful brilliant".split()
NEGATIVE = "terrible awful boring hated dull poor worst disappointing".split()
COMMON = "the movie film plot actors story was and it this a of with".split()


def make_corpus(root: Path, per_class: int = 30, seed: int = 0) -> Path:
    """A folder of generated reviews: pos/ and neg/ sub-folders of .txt files."""
    rng = random.Random(seed)
    for name, words in (("pos", POSITIVE), ("neg", NEGATIVE)):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            doc = " ".join(rng.choice(COMMON + words) for _ in range(25))
            (root / name / f"{i:03d}.txt").write_text(doc.capitalize() + ".\n")
    return root


DOCS = [
    "The film was great, GREAT fun.",
    "A dull film; the plot was dull and poor.",
    "Great actors, poor plot.",
    "the the the film",
]


# --------------------------------------------------------------------------------------------
# The vectorizer
# --------------------------------------------------------------------------------------------
def test_tfidf_features_equal_scikit_learns_sublinear_tfidf():
    options = text.settings(min_df=1)
    ours = TextVectorizer.fit(DOCS, options, "docs")
    theirs = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit(DOCS)
    assert list(ours.vocabulary) == theirs.get_feature_names_out().tolist()
    np.testing.assert_allclose(ours.idf, theirs.idf_, rtol=1e-15)
    got, want = ours.transform(DOCS), theirs.transform(DOCS)
    assert abs(got - want).max() <= 1e-15
    np.testing.assert_allclose(sp.linalg.norm(got, axis=1), 1.0, rtol=1e-15)


def test_hashing_features_equal_scikit_learns():
    options = text.settings(hashing=2**10, ngrams=[1, 1])
    assert options["min_df"] == 1  # what it does, as its model file says (it said 2)
    ours = TextVectorizer.fit(DOCS, options, "docs")
    counts = HashingVectorizer(n_features=2**10, alternate_sign=False, norm=None).transform(DOCS)
    want = TfidfTransformer(sublinear_tf=True).fit(counts).transform(counts)
    assert ours.vocabulary is None and ours.n_features == 2**10
    assert abs(ours.transform(DOCS) - want).max() <= 1e-15


def test_min_df_and_max_features_select_terms():
    vocab = TextVectorizer.fit(DOCS, text.settings(min_df=2), "docs").vocabulary
    assert vocab == ("film", "great", "plot", "poor", "the", "the film", "was")
    top = TextVectorizer.fit(DOCS, text.settings(min_df=1, max_features=2), "docs").vocabulary
    assert top == ("film", "the")
    with pytest.raises(DataError, match="lower --min-df"):
        TextVectorizer.fit(DOCS, text.settings(min_df=4), "docs")


def test_documents_without_a_word_are_refused_with_advice_that_helps():
    """No document holds a word: lowering --min-df (the advice at its default of 2) cannot
    help, and with --hashing (which has no --min-df) the model was trained on nothing."""
    wordless = ["😀 !", "😢 ?", "a b", "…"]
    with pytest.raises(DataError, match=r"--min-df 2 .*; give documents with words\.$"):
        TextVectorizer.fit(wordless, text.settings(min_df=2), "docs")
    with pytest.raises(DataError, match=r"^docs: none of the 4 documents holds a word"):
        TextVectorizer.fit(wordless, text.settings(min_df=None, hashing=64), "docs")
    rows = TextVectorizer.fit(["a good film", "😀"], text.settings(min_df=None, hashing=64), "d")
    said = text.no_known_words(rows.transform(["a good film", "😀"]), ["1", "2"], True)
    assert said.endswith("nothing but the bias — check them.")


def test_a_document_left_wordless_by_max_features_names_it():
    """A --max-features cut was blamed on --min-df, which was not what cut it."""
    docs = ["the film was great", "the plot", "a poor film", "zebra"]
    options = text.settings(min_df=1, max_features=2)
    X = TextVectorizer.fit(docs, options, "docs").transform(docs)
    with pytest.warns(UserWarning, match=r"check them, or raise --max-features\.$"):
        text.documents_dataset(docs, ["a", "b", "a", "b"], list("1234"), "docs", options, None)
    assert text.no_known_words(X, list("1234"), True) is not None


def test_words_keep_their_marks_and_a_turkish_capital_i():
    """Python's word characters leave out combining marks: Hindi's पसंद and नापसंद were both cut
    to "पस", vowelled Arabic into fragments shared by other words, and "İstanbul" (lower-cased
    to i and a combining dot) became "stanbul"; models saved before keep their own words."""
    docs = ["पसंद है", "नापसंद है", "جَمِيلٌ جِدًّا", "İstanbul güzel", "istanbul güzel"]
    vocabulary = TextVectorizer.fit(docs, text.settings(min_df=1, ngrams=[1, 1]), "d").vocabulary
    assert {"पसंद", "नापसंद", "है", "جَمِيلٌ", "جِدًّا", "istanbul", "güzel"} == set(vocabulary)
    old = {**text.settings(min_df=1, ngrams=[1, 1])}
    del old["marks_in_words"]  # a model file from before
    assert "पस" in TextVectorizer.fit(docs, old, "d").vocabulary


def test_text_in_a_script_without_spaces_is_said():
    """Chinese sentences became one "word" each: 100 % on the training data and the bias alone
    on any new sentence, without a word."""
    pos, neg = ["这部电影很好看", "我非常喜欢这个故事"], ["这部电影很难看", "我非常讨厌这个故事"]
    docs = [f"{a}，{b}。" for a in pos for b in pos] + [f"{a}，{b}。" for a in neg for b in neg]
    for options in (text.settings(min_df=1), text.settings(hashing=64)):
        with pytest.warns(UserWarning, match=r"100 % of its letters are in a script written wit"):
            TextVectorizer.fit(docs, options, "d")
    segmented = [" ".join(["这部", "电影", "很", "好看"])] * 4 + ["素晴らしい 映画 好き 感動"] * 4
    emoji = ["❤️love ✔️great film", "❤️hate ✔️bad film"]  # a variation selector is no mark
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextVectorizer.fit(["a good film", "a poor film"], text.settings(min_df=1), "d")
        TextVectorizer.fit(segmented, text.settings(min_df=1), "d")
        kept = TextVectorizer.fit(emoji, text.settings(min_df=1, ngrams=[1, 1]), "d").vocabulary
    assert set(kept) == {"love", "great", "hate", "bad", "film"}


def test_class_folders_named_by_numbers_take_the_numbers_order(tmp_path):
    """+1/-1 folders (a common layout): -1 first, so +1 is the positive class, as the same
    labels in a CSV or an svmlight file make it; sorted as text '+1' came first."""
    corpus = make_corpus(tmp_path / "reviews")
    (corpus / "pos").rename(corpus / "+1")
    (corpus / "neg").rename(corpus / "-1")
    ds = data.load(corpus, text=text.settings(min_df=1))
    assert ds.classes == ("-1", "+1")
    assert all(
        (label == 1) == name.startswith("+1") for label, name in zip(ds.y, ds.names, strict=True)
    )


@pytest.mark.parametrize("hashing", [None, 2**12])
def test_saved_model_gives_identical_features(tmp_path, hashing):
    """The vectorizer travels as feature names (JSON) and an idf tensor; no pickle anywhere."""
    corpus = make_corpus(tmp_path / "reviews")
    options = text.settings(min_df=None if hashing else 1, hashing=hashing)
    ds = data.load(corpus, text=options)
    vectorizer = ds.spec.vectorizer
    w = np.linspace(-1, 1, vectorizer.n_features)
    names = None if vectorizer.vocabulary is None else list(vectorizer.vocabulary)
    model = persist.ModelFile(
        w=w, b=0.0, classes=ds.classes, preprocessing=ds.spec.to_dict(), feature_names=names,
        idf=vectorizer.idf,
    )  # fmt: skip
    path = tmp_path / "m.safetensors"
    persist.save_model(path, model)
    assert b"pickle" not in path.read_bytes() and b"__reduce__" not in path.read_bytes()
    loaded = persist.load_model(path)
    spec = text.model_spec(loaded)
    again = data.load(corpus, spec=spec)
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(again.X, part), getattr(ds.X, part))
    assert again.X.shape == ds.X.shape


def test_an_accent_typed_as_a_combining_mark_is_the_same_word(tmp_path):
    """ "café" as é or as e + U+0301 (some editors, PDF copies, macOS): one word to a reader;
    without composing, the tokenizer cut the second at the accent into "cafe"."""
    composed, decomposed = "un café noir", "un cafe\u0301 noir"
    ours = TextVectorizer.fit([composed, "the tea", "the cafe"], text.settings(min_df=1), "docs")
    assert "café" in ours.vocabulary and "cafe" in ours.vocabulary
    assert abs(ours.transform([decomposed]) - ours.transform([composed])).max() == 0
    # a model saved before the setting existed: its settings lack it, load, and are read as
    # they were trained (no composing), so its features do not change
    older = {k: v for k, v in ours.settings.items() if k not in ("unicode_form", "marks_in_words")}
    assert text.check_settings(older) is None
    before = TextVectorizer(older, ours.vocabulary, ours.idf)
    column = {term: i for i, term in enumerate(ours.vocabulary)}
    assert before.transform([decomposed])[0, column["cafe"]] > 0
    assert before.transform([decomposed])[0, column["café"]] == 0
    assert "unicode_form 'NFD'" in text.check_settings({**ours.settings, "unicode_form": "NFD"})


def test_old_models_without_idf_still_load(tmp_path):
    model = persist.ModelFile(w=np.ones(3), b=0.5, classes=("a", "b"))
    persist.save_model(tmp_path / "old.safetensors", model)
    assert persist.load_model(tmp_path / "old.safetensors").idf is None


def test_documents_are_checked(tmp_path):
    with pytest.raises(DataError, match="empty"):
        text.decode_document(b"  \n", "x.txt", "utf-8")
    with pytest.raises(DataError, match="binary"):
        text.decode_document(b"ab\x00cd", "x.txt", "utf-8")
    with pytest.raises(DataError, match="--encoding latin-1"):
        text.decode_document("café".encode("latin-1"), "x.txt", "utf-8")
    assert text.decode_document("café".encode("latin-1"), "x.txt", "latin-1") == "café"
    # the option applies to every document: the advice says so, and names converting one
    message = str(
        pytest.raises(DataError, text.decode_document, b"caf\xe9", "x.txt", "utf-8").value
    )
    assert "encoding that all the documents share" in message and "iconv" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_byte_order_mark_names_the_documents_encoding(encoding):
    """A UTF-16 file with its BOM among UTF-8 ones was refused as binary; a UTF-8 BOM stayed
    in the text. The mark says the encoding for certain, whatever --encoding says."""
    blob = "café film".encode(encoding)
    if encoding == "utf-16-be":
        blob = codecs.BOM_UTF16_BE + blob
    for option in ("utf-8", "latin-1"):
        assert text.decode_document(blob, "x.txt", option) == "café film"


def test_image_folder_with_a_stray_note_is_not_text(tmp_path):
    (tmp_path / "a").mkdir()
    for i in range(3):
        (tmp_path / "a" / f"{i}.png").write_bytes(b"")
    (tmp_path / "a" / "notes.txt").write_text("hello")
    assert not text_folders.is_text_folder(tmp_path)
    assert text_folders.is_text_folder(make_corpus(tmp_path / "t"))


# --------------------------------------------------------------------------------------------
# svmlight
# --------------------------------------------------------------------------------------------
def _svm(path, X, y, zero_based):
    dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    return path


@pytest.mark.parametrize("zero_based", [True, False])
@pytest.mark.parametrize("compress", [None, gzip, bz2])
def test_svmlight_numbering_detected_and_compressed_files(tmp_path, zero_based, compress):
    dense = sp.random(30, 8, density=0.4, random_state=0).toarray()
    dense[:, 0] = 1.0  # column 0 used, so a zero-based file holds index 0
    X = sp.csr_matrix(dense)
    y = np.arange(30) % 2
    path = _svm(tmp_path / "d.svm", X, y, zero_based)
    if compress is not None:
        suffix = ".gz" if compress is gzip else ".bz2"
        packed = tmp_path / f"d.svm{suffix}"
        packed.write_bytes(compress.compress(path.read_bytes()))
        path = packed
    ds = data.load(path)
    assert ds.source.endswith(f"({'zero' if zero_based else 'one'}-based indices)")
    assert ds.spec.index_base == (0 if zero_based else 1) and ds.spec.width == 8
    assert abs(ds.X - X).max() <= 1e-15 and ds.X.shape == (30, 8)  # %.16g in the file
    np.testing.assert_array_equal(ds.y, y)


def test_svmlight_narrower_file_widened_wider_one_said_and_cut(tmp_path):
    """A file a model scores may hold features its training file did not (sparse data meets
    new ones; a --test file was refused): no training example holds them, so a model trained
    on the wider matrix gives them a weight of exactly 0 — they are left out, and said."""
    X = sp.random(20, 10, density=0.5, random_state=1, format="csr")
    y = np.arange(20) % 2
    spec = data.load(_svm(tmp_path / "train.svm", X, y, False)).spec
    narrow = data.load(_svm(tmp_path / "n.svm", X[:, :4], y, False), spec=spec)
    assert narrow.X.shape == (20, 10) and abs(narrow.X[:, :4] - X[:, :4]).max() <= 1e-15
    (tmp_path / "wide.svm").write_text("1 3:1 12:2\n0 1:1 11:1 13:5\n")
    said = r"wide.svm: 3 value\(s\) at features the training file does not have are left out "
    with pytest.warns(UserWarning, match=said + r"\(line 1 has feature index 12, beyond the"):
        wide = data.load(tmp_path / "wide.svm", spec=spec)
    assert wide.X.shape == (2, 10) and wide.X.toarray().tolist() == [
        [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],  # one-based: 3:1 is the third column
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
    from sklearn.linear_model import LogisticRegression

    from lrnn import LogisticNeuron

    # the weight such a feature gets when it is kept: exactly 0, for a second-order and a
    # first-order solver alike, so leaving it out scores as the wider model does
    wider = sp.hstack([X, sp.csr_matrix((20, 3))]).tocsr()
    for solver in ("newton", "lbfgs", "gd"):
        fitted = LogisticNeuron(solver=solver, alpha=1e-3, max_iter=50, tol=0).fit(wider, y)
        assert np.all(fitted.coef_.ravel()[10:] == 0.0), solver
    assert LogisticRegression().fit(wider, y).coef_.ravel()[10:].tolist() == [0.0] * 3


def test_a_file_that_counts_from_one_for_a_zero_based_model_is_said(tmp_path):
    """The model's numbering is used for the files it scores; one that looks one-based is
    warned of (every feature would be read one column off), the features past the model's
    width left out and said."""
    X = sp.random(20, 10, density=0.5, random_state=1, format="lil")
    X[:, 0] = 1.0
    X, y = X.tocsr(), np.arange(20) % 2
    spec = data.load(_svm(tmp_path / "train.svm", X, y, True)).spec
    assert spec.index_base == 0
    with pytest.warns(UserWarning, match="n.svm: no feature is numbered 0, as if the file count"):
        data.load(_svm(tmp_path / "n.svm", X[:, :4], y, False), spec=spec)
    # as wide as the model plus one: warned of both ways, not refused (a sparse file's lines
    # may all lack feature 0 and hold a new feature at the model's width)
    with pytest.warns(UserWarning) as caught:
        data.load(_svm(tmp_path / "one.svm", X, y, False), spec=spec)
    said = " ".join(str(w.message) for w in caught)
    assert "beyond the model's 10 features, numbered 0 to 9" in said
    assert "no feature is numbered 0, as if the file counted from 1" in said
    # wider than renumbering can mend: new features, left out, and the numbering said
    wider = sp.hstack([X, sp.csr_matrix(np.ones((20, 3)))]).tocsr()
    with pytest.warns(UserWarning) as caught:
        data.load(_svm(tmp_path / "wider.svm", wider, y, False), spec=spec)
    said = " ".join(str(w.message) for w in caught)
    assert "features the training file does not have are left out" in said
    assert "no feature is numbered 0, as if the file counted from 1" in said


def test_svmlight_query_ids_are_read_past_and_said_to_be_ignored(tmp_path):
    X = sp.random(12, 5, density=0.6, random_state=2, format="csr")
    y = np.arange(12) % 2
    plain = data.load(_svm(tmp_path / "plain.svm", X, y, False))
    dump_svmlight_file(X, y, str(tmp_path / "q.svm"), zero_based=False, query_id=np.arange(12) // 4)
    with pytest.warns(UserWarning, match=r"q.svm: its qid: values .* are ignored"):
        ranked = data.load(tmp_path / "q.svm")
    assert abs(ranked.X - plain.X).max() == 0 and ranked.X.shape == plain.X.shape
    np.testing.assert_array_equal(ranked.y, plain.y)


# --------------------------------------------------------------------------------------------
# The README's text example, end to end through the real executable
# --------------------------------------------------------------------------------------------
def readme_text_example() -> list[str]:
    """The command lines of the README's text example (the bash block after its marker)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("<!-- text-example", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def readme_text_corpus() -> str:
    """The README's Python that writes a toy corpus for its text example."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    return readme.split("<!-- text-corpus", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_text_example_end_to_end(tmp_path):
    """The README's toy corpus, then every line of its text example, run by the shell with
    the real ``lrnn``: a reader without a corpus of their own can run them as written."""
    import os
    import subprocess
    import sys

    from tests.cli_helpers import lrnn_command

    (tmp_path / "make_reviews.py").write_text(readme_text_corpus())
    subprocess.run([sys.executable, "make_reviews.py"], cwd=tmp_path, check=True, timeout=60)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("reviews/*/*.txt")}
    assert written == {f"reviews/{c}/{i:03d}.txt" for c in ("pos", "neg") for i in range(40)}
    bin_dir = Path(lrnn_command()[0]).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    lines = readme_text_example()
    assert len(lines) == 4
    outputs = []
    for line in lines:
        proc = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, (line, proc.stderr)
        outputs.append(proc.stdout)
    trained, evaluated, predicted, words = outputs
    assert "test accuracy: 100.0 %" in trained
    assert "accuracy: 100.00 %" in evaluated
    rows = [line.split("\t") for line in predicted.splitlines()[1:]]  # after the header
    assert [(n, label) for n, _, label in rows] == [("stdin:1", "pos"), ("stdin:2", "neg")]
    assert float(rows[0][1]) > 0.5 > float(rows[1][1])
    towards_pos, towards_neg = words.splitlines()
    assert towards_pos.startswith("towards 'pos': ") and towards_neg.startswith("towards 'neg': ")
    assert {w.split(" (")[0] for w in towards_pos[15:].split(", ")} <= set(POSITIVE)
    assert {w.split(" (")[0] for w in towards_neg[15:].split(", ")} <= set(NEGATIVE)
    page = (tmp_path / "reviews.html").read_text()
    model = persist.load_model(tmp_path / "reviews.safetensors")
    top = model.feature_names[int(np.argmax(model.w))]
    assert top in POSITIVE and f"<td>{top}</td>" in page


def test_predict_text_files_and_svmlight_through_the_cli(tmp_path):
    make_corpus(tmp_path / "reviews", per_class=20)
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1", "--ngrams", "1", "1"]
    assert run(["train", "reviews", "--solver", "newton", *common], tmp_path).returncode == 0
    files = run(
        ["predict", "--model", "r.safetensors", "reviews/pos/000.txt", "reviews/neg/000.txt"],
        tmp_path,
    )
    assert [line.split("\t")[2] for line in files.stdout.splitlines()[1:]] == ["pos", "neg"]
    X = sp.random(200, 12, density=0.3, random_state=3, format="csr")
    y = (X @ np.linspace(-1, 1, 12) > 0).astype(int)
    _svm(tmp_path / "d.svm", X, y, False)
    trained = run(["train", "d.svm", "--solver", "newton", "--model", "s.safetensors",
                   "--no-plot"], tmp_path)  # fmt: skip
    assert "d.svm (one-based indices): 160 examples × 12 features" in trained.stdout
    # said to be sparse: its stored values and their share of the 160 × 12 matrix
    told = re.search(
        r"\(float64, sparse: (\d+) stored values, ([\d.]+) % of the matrix\)", trained.stdout
    )
    assert told and 0 < int(told[1]) < X.nnz
    assert float(told[2]) == float(f"{100 * int(told[1]) / (160 * 12):.3g}")
    _svm(tmp_path / "n.svm", X[:5, :6], y[:5], False)
    narrow = run(["predict", "--model", "s.safetensors", "n.svm"], tmp_path)
    assert narrow.returncode == 0 and len(narrow.stdout.splitlines()) == 1 + 5  # header + rows
    # predict ignores the labels (as a table's label column), so a NaN placeholder is fine there;
    # evaluate needs them and names the example
    unknown = (tmp_path / "n.svm").read_text().splitlines()
    (tmp_path / "u.svm").write_text(
        "".join("nan" + line[line.index(" ") :] + "\n" for line in unknown)
    )
    unlabelled = run(["predict", "--model", "s.safetensors", "u.svm"], tmp_path)
    assert unlabelled.returncode == 0 and unlabelled.stdout == narrow.stdout
    scored = run(["evaluate", "--model", "s.safetensors", "u.svm"], tmp_path)
    assert scored.returncode == 2 and "u.svm: the label is nan for example 1" in scored.stderr


def test_python_predicts_raw_documents_as_the_cli_does(tmp_path):
    """A text model in Python: Predictor.predict_documents takes strings and gives the records
    ``lrnn predict -`` prints for one document per line (the estimator cannot hold the
    vectorizer, and its refusal points here)."""
    from lrnn import LogisticNeuron
    from lrnn.errors import ModelFileError
    from lrnn.inference import Predictor

    make_corpus(tmp_path / "reviews", per_class=20)
    common = ["--model", "r.safetensors", "--no-plot", "--solver", "newton"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    documents = [f"{POSITIVE[0]} {POSITIVE[1]} film", f"{NEGATIVE[0]} film", "film à l'été"]
    lines = "\n".join(documents)
    printed = run(["predict", "--model", "r.safetensors", "-"], tmp_path, stdin=lines)
    rows = [line.split("\t") for line in printed.stdout.splitlines()[1:]]
    predictor = Predictor.load(tmp_path / "r.safetensors")
    records = predictor.predict_documents(documents)
    assert [r["name"] for r in records] == ["document 1", "document 2", "document 3"]
    assert [r["label"] for r in records] == [label for _, _, label in rows]
    assert [f"{r['probability']:.6f}" for r in records] == [p for _, p, _ in rows]
    with pytest.raises(UsageError, match=r"not one string; wrap it: predict_documents\(\[text\]\)"):
        predictor.predict_documents(documents[0])
    with pytest.raises(UsageError, match="document 2 is a bytes, not a string"):
        predictor.predict_documents(["fine", b"bytes"])
    for unordered in ({"documents": documents}, set(documents), None):  # the server's body too
        with pytest.raises(UsageError, match="takes a list of documents .strings, in order."):
            predictor.predict_documents(unordered)
    assert predictor.predict_documents(iter(documents)) == records  # any ordered iterable
    with pytest.raises(DataError, match="document 2: the document is empty"):
        predictor.predict_documents(["fine", ""])
    with pytest.raises(ModelFileError, match=r"Predictor.load\(path\).predict_documents"):
        LogisticNeuron.load(tmp_path / "r.safetensors")


def test_three_class_text_model_loads_predicts_and_verifies(tmp_path):
    """A text folder with three classes: the softmax layer's model file (w (features, 3), one
    IDF weight per feature) is read back by predict, words and verify."""
    make_corpus(tmp_path / "news", per_class=15)
    rng = random.Random(1)
    (tmp_path / "news" / "tech").mkdir()
    tech = "computer code software chip laptop cloud server data".split()
    for i in range(15):
        doc = " ".join(rng.choice(COMMON + tech) for _ in range(25))
        (tmp_path / "news" / "tech" / f"{i:03d}.txt").write_text(doc + "\n")
    common = ["--model", "n.safetensors", "--no-plot", "--min-df", "1", "--ngrams", "1", "1"]
    trained = run(["train", "news", "--solver", "newton", "--alpha", "1e-2", *common], tmp_path)
    assert trained.returncode == 0, trained.stderr
    model = persist.load_model(tmp_path / "n.safetensors")
    assert model.w.shape == (len(model.feature_names), 3) and model.idf.shape == model.w.shape[:1]
    stdin = "the laptop and the cloud server\nwonderful superb film\n"
    predicted = run(["predict", "--model", "n.safetensors", "-"], tmp_path, stdin=stdin)
    assert [line.split("\t")[-1] for line in predicted.stdout.splitlines()[1:]] == ["tech", "pos"]
    # A stream longer than one batch: one header, every line scored, in order
    for encoding in ("utf-16", "utf-32-le"):  # split into lines after decoding, not before
        wide = run(["predict", "--model", "n.safetensors", "--encoding", encoding, "-"],
                   tmp_path, stdin=stdin.encode(encoding))  # fmt: skip
        assert wide.returncode == 0, wide.stderr
        assert wide.stdout == predicted.stdout
        # without --encoding, the byte-order mark names it (line 2 was "a binary file")
        marked = run(["predict", "--model", "n.safetensors", "-"], tmp_path,
                     stdin=stdin.encode(encoding.removesuffix("-le")))  # fmt: skip
        assert marked.returncode == 0, marked.stderr
        assert marked.stdout == predicted.stdout
    many = stdin * 6001  # 12,002 lines: two batches of STDIN_BATCH = 10,000
    streamed = run(["predict", "--model", "n.safetensors", "-"], tmp_path, stdin=many)
    lines = streamed.stdout.splitlines()
    assert streamed.returncode == 0 and len(lines) == 12_003 and lines[0].startswith("name")
    assert lines[-1].startswith("stdin:12002\t") and lines[-1].endswith("\tpos")
    assert lines[10_001].startswith("stdin:10001\t") and lines[10_001].endswith("\ttech")
    # Blank lines (paragraph breaks, a trailing empty line) are left out, said once; the
    # names keep their line numbers
    spaced = run(
        ["predict", "--model", "n.safetensors", "-"], tmp_path, stdin="\n" + stdin + "\u00a0 \n"
    )
    assert spaced.returncode == 0, spaced.stderr
    assert [line.split("\t")[0] for line in spaced.stdout.splitlines()[1:]] == [
        "stdin:2",
        "stdin:3",
    ]
    assert "2 blank line(s) left out (line 1, 4)" in spaced.stderr
    words = run(["words", "--model", "n.safetensors", "--top", "3"], tmp_path)
    lines = dict(line.split(": ", 1) for line in words.stdout.splitlines())
    assert list(lines) == [f"{side} '{c}'" for c in ("neg", "pos", "tech")
                           for side in ("towards", "away from")]  # fmt: skip
    assert {w.split(" (")[0] for w in lines["towards 'tech'"].split(", ")} <= set(tech)
    report = run(["report", "--model", "n.safetensors", "news", "-o", "n.html"], tmp_path)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "n.html").read_text()
    assert "words that raise its score most" in page
    verified = run(["verify", "--model", "n.safetensors", "news"], tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("bit-identical")


def test_gradcheck_on_text_and_svmlight(tmp_path):
    """The finite-difference check takes sparse rows (a text folder, an svmlight file)."""
    make_corpus(tmp_path / "reviews", per_class=10)
    X = sp.random(60, 12, density=0.3, random_state=3, format="csr")
    _svm(tmp_path / "d.svm", X, np.arange(60) % 3, False)  # three classes
    for source in ("reviews", "d.svm"):
        proc = run(["gradcheck", source], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "(passed: threshold" in proc.stdout


def test_stray_files_empty_classes_and_unknown_words_are_said(tmp_path):
    """A class folder's non-.txt files are left out (as in a flat folder), an empty class
    folder is named, and a document without a known word is flagged at prediction."""
    make_corpus(tmp_path / "reviews", per_class=10)
    (tmp_path / "reviews" / "pos" / "LICENSE").write_text("permission is granted\n")
    (tmp_path / "reviews" / "notes.txt").write_text("collected in 2026\n")  # beside the classes
    (tmp_path / "reviews" / "empty").mkdir()
    with pytest.warns(UserWarning) as caught:
        ds = data.load(str(tmp_path / "reviews"))
    said = " ".join(str(w.message) for w in caught)
    assert "1 file(s) without the .txt suffix left out (pos/LICENSE)" in said
    assert "'empty' hold no .txt document" in said
    assert "1 file(s) beside the class folders left out (notes.txt)" in said
    assert len(ds.names) == 20 and ds.classes == ("neg", "pos")
    # predict, which needs no class, scores a document beside the class folders with the
    # others, as it does a picture there (it was left out); the LICENSE is still no document
    with pytest.warns(UserWarning) as caught:
        scored = data.load(str(tmp_path / "reviews"), spec=ds.spec, require_labels=False)
    assert scored.names[0] == "notes.txt" and len(scored.names) == 21 and scored.y is None
    said = " ".join(str(w.message) for w in caught)
    assert "beside the class folders left out" not in said and "(pos/LICENSE)" in said
    assert "1 document(s) beside the class folders scored too (notes.txt); move" in said
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    unknown = run(["predict", "--model", "r.safetensors", "-"], tmp_path, stdin="zzz qqq\n")
    assert unknown.returncode == 0
    assert "standard input: 1 document(s) hold no word the model knows" in unknown.stderr
    # a folder to score says it too (only files and standard input did), and training data
    # whose documents keep no word (emoji only) is named before it trains on the bias alone
    (tmp_path / "new" / "pos").mkdir(parents=True)
    (tmp_path / "new" / "pos" / "a.txt").write_text("zzz qqq\n")
    (tmp_path / "new" / "pos" / "b.txt").write_text("superb\n")
    folder = run(["predict", "--model", "r.safetensors", "new"], tmp_path)
    assert "new: 1 document(s) hold no word the model knows (e.g. 'pos/a.txt')" in folder.stderr
    # an empty file (a failed download) is left out, named, as stray files are; a document of
    # emoji alone stays, said to teach the bias alone
    (tmp_path / "reviews" / "pos" / "empty.txt").write_text(" \n")
    with pytest.warns(UserWarning, match=r"1 of 21 document\(s\) are empty \(pos/empty.txt\), so"):
        ds = data.load(str(tmp_path / "reviews"))
    assert "pos/empty.txt" not in ds.names and len(ds.names) == len(ds.y) == 20
    (tmp_path / "reviews" / "pos" / "empty.txt").unlink()
    # a class whose documents are all empty went with no word naming it (only its files)
    (tmp_path / "reviews" / "silent").mkdir()
    (tmp_path / "reviews" / "silent" / "a.txt").write_text("")
    with pytest.warns(UserWarning) as caught:
        ds = data.load(str(tmp_path / "reviews"))
    said = " ".join(str(w.message) for w in caught)
    assert "every document of class(es) 'silent' is empty, so those classes are left out" in said
    assert ds.classes == ("neg", "pos")
    (tmp_path / "reviews" / "silent" / "a.txt").unlink()
    (tmp_path / "reviews" / "silent").rmdir()
    (tmp_path / "reviews" / "neg" / "emoji.txt").write_text("\U0001f621\U0001f621 \U0001f44e !!!\n")
    with pytest.warns(UserWarning, match=r"1 of 21 document\(s\) hold no word the vocabulary"):
        data.load(str(tmp_path / "reviews"))
    table = run(
        ["train", "digits", "--ngrams", "1", "1", "--iterations", "2", *common[:3]], tmp_path
    )
    assert table.returncode == 0 and "--ngrams applies to text data only" in table.stderr
    folder = run(["train", "reviews", "--text-column", "body", "--label", "y", *common], tmp_path)
    assert folder.returncode == 0
    assert "--text-column applies to a CSV/Parquet table of documents only" in folder.stderr
    assert "--label names the label column of a CSV/Parquet table" in folder.stderr
    spec = text.model_spec(persist.load_model(tmp_path / "r.safetensors"))
    assert spec.text["text_column"] is None  # the model takes files, as it was trained on


def test_a_flat_folder_to_predict_on_skips_hidden_files_and_names_others(tmp_path):
    """Predict on a flat folder of suffix-less documents (20 Newsgroups' layout) read
    .hidden as a document, and a .DS_Store's NUL bytes stopped it; training skips hidden
    files. A flat .txt folder dropped a suffix-less file without the warning training gives."""
    make_corpus(tmp_path / "reviews", per_class=10)
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    bare = tmp_path / "bare"
    bare.mkdir()
    for i, name in enumerate(sorted((tmp_path / "reviews" / "pos").iterdir())[:3]):
        (bare / str(51000 + i)).write_bytes(name.read_bytes())
    (bare / ".hidden").write_text("x")
    (bare / ".DS_Store").write_bytes(b"\x00\x01\x02")
    proc = run(["predict", "--model", "r.safetensors", "bare"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = [line.split("\t")[0] for line in proc.stdout.splitlines()[1:]]
    assert names == [str(51000 + i) for i in range(3)] and proc.stderr == ""
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.txt").write_text("a superb film\n")
    (flat / "notes").write_text("seen twice\n")
    proc = run(["predict", "--model", "r.safetensors", "flat"], tmp_path)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2
    assert "flat: 1 file(s) without the .txt suffix left out (notes)" in proc.stderr


def test_min_df_written_as_a_whole_float_is_that_count():
    """--min-df 2.0 was refused as "must be a count ≥ 1 or a fraction", which it seems to be."""
    from lrnn.cli.parser import _count_or_fraction

    assert _count_or_fraction("2.0") == 2 and isinstance(_count_or_fraction("2.0"), int)
    assert _count_or_fraction("0.05") == 0.05 and _count_or_fraction("3") == 3
    assert _count_or_fraction("1.0") == 1.0 and isinstance(_count_or_fraction("1.0"), float)
    assert text.settings(min_df=_count_or_fraction("2.0"))["min_df"] == 2


def test_standard_input_with_carriage_returns_only_is_said_to_be_one_document(monkeypatch):
    """Old Mac line ends (CR alone) made all of standard input one document without a word."""
    import io
    import sys

    from lrnn.data.text_stdin import stdin_documents

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"wonderful\rboring\r")))
    with pytest.warns(UserWarning, match=r"carriage returns \(CR\) but no line feed"):
        docs, _ = stdin_documents("utf-8")
    assert docs == ["wonderful\rboring"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"wonderful\r\nboring\r\n")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(stdin_documents("utf-8")[0]) == 2  # Windows line ends: two documents


def test_a_model_trained_on_files_scores_a_tables_column_of_documents(tmp_path):
    """A model trained on a folder could not score a CSV of the same documents (predict and
    evaluate had no --text-column): now the same documents get the same probabilities."""
    import json

    import pandas as pd

    make_corpus(tmp_path / "reviews", per_class=10)
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    files = sorted((tmp_path / "reviews").glob("*/*.txt"))
    frame = pd.DataFrame(
        {"body": [f.read_text() for f in files], "kind": [f.parent.name for f in files]}
    )
    frame.to_csv(tmp_path / "docs.csv", index=False)
    by_file = run(["predict", "--model", "r.safetensors", *map(str, files), "--json"], tmp_path)
    by_row = run(
        ["predict", "--model", "r.safetensors", "docs.csv", "--text-column", "body", "--json"],
        tmp_path,
    )
    assert by_row.returncode == 0, by_row.stderr
    probability = [json.loads(line)["probability"] for line in by_file.stdout.splitlines()]
    assert [json.loads(line)["probability"] for line in by_row.stdout.splitlines()] == probability
    scored = run(
        ["evaluate", "--model", "r.safetensors", "docs.csv", "--text-column", "body"]
        + ["--label", "kind", "--json"],
        tmp_path,
    )
    assert scored.returncode == 0 and json.loads(scored.stdout)["n"] == 20, scored.stderr
    refused = run(["predict", "--model", "r.safetensors", "docs.csv"], tmp_path)
    assert "name the table's column of documents with --text-column" in refused.stderr
    # train on the folder, test on the table: --text-column names the table's column (it was
    # ignored, with a warning, and the refusal advised it again)
    args = ["train", "reviews", "--test", "docs.csv", "--text-column", "body", "--label", "kind"]
    tested = run([*args, *common[2:], "--model", "t.safetensors", "--alpha", "1e-2"], tmp_path)
    assert tested.returncode == 0, tested.stderr
    assert tested.stderr.splitlines() == [  # and not that --text-column or --label is ignored
        "warning: --test docs.csv holds the very examples trained on (a copy of the training "
        "data), so the test score measures nothing new; give data the model does not train on."
    ]
    assert "test: --test docs.csv (20 examples)" in tested.stdout
    assert "test accuracy: 100.0 %" in tested.stdout  # the training documents themselves


def test_links_to_files_outside_the_folder_are_left_out(tmp_path):
    """A downloaded corpus could link to a local secret: its words must not end up in a model
    (and be printed by lrnn words). Links inside the folder are fine; pictures likewise."""
    make_corpus(tmp_path / "reviews", per_class=6)
    secret = tmp_path / "secret.cfg"
    secret.write_text("aws_secret_access_key akiaexamplesecret\n")
    for label in ("pos", "neg"):
        (tmp_path / "reviews" / label / "leak.txt").symlink_to(secret)
    inside = tmp_path / "reviews" / "pos" / "again.txt"
    inside.symlink_to(next((tmp_path / "reviews" / "pos").glob("*.txt")))
    with pytest.warns(UserWarning, match=r"2 file\(s\) are links to places outside the folder"):
        ds = data.load(str(tmp_path / "reviews"), text={**text.DEFAULTS, "min_df": 1})
    assert len(ds.names) == 13  # 12 documents and the link inside
    assert not any("akiaexamplesecret" in term for term in ds.spec.vectorizer.vocabulary)
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / "pics" / label).mkdir(parents=True)
        for i in range(2):
            Image.new("L", (4, 4), 60 * i).save(tmp_path / "pics" / label / f"{i}.png")
    Image.new("L", (4, 4), 255).save(tmp_path / "elsewhere.png")
    (tmp_path / "pics" / "a" / "2.png").symlink_to(tmp_path / "elsewhere.png")
    with pytest.warns(UserWarning, match=r"1 file\(s\) are links to places outside"):
        pics = data.load(str(tmp_path / "pics"))
    assert len(pics.names) == 4


def test_links_to_nothing_and_pipes_in_class_folders_are_said_to_be_left_out(tmp_path):
    import os

    from PIL import Image

    make_corpus(tmp_path / "reviews", per_class=6)
    (tmp_path / "reviews" / "pos" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    said = r"1 entry neither a file nor a folder left out \((pos/gone|b/pipe)"
    with pytest.warns(UserWarning, match=said):
        ds = data.load(str(tmp_path / "reviews"), text={**text.DEFAULTS, "min_df": 1})
    assert len(ds.names) == 12
    for label in ("a", "b"):
        (tmp_path / "pics" / label).mkdir(parents=True)
        for i in range(2):
            Image.new("L", (4, 4), 60 * i).save(tmp_path / "pics" / label / f"{i}.png")
    os.mkfifo(tmp_path / "pics" / "b" / "pipe.png")
    with pytest.warns(UserWarning, match=said):
        assert len(data.load(str(tmp_path / "pics")).names) == 4


def test_a_text_tables_numeric_labels_and_encoding_are_kept(tmp_path):
    """Numbers in the label column stay the classes 0 and 1 (not "0.0"); a Latin-1 table reads
    with --encoding, which the model keeps for the tables it predicts on."""
    rng = random.Random(4)
    words = [POSITIVE if k % 2 else NEGATIVE for k in range(40)]
    rows = [
        ("café " if k % 2 else "thé ") + " ".join(rng.sample(w, 3)) for k, w in enumerate(words)
    ]
    body = "text,label\n" + "".join(f"{doc},{k % 2}\n" for k, doc in enumerate(rows))
    (tmp_path / "t.csv").write_bytes(body.encode("latin-1"))
    common = ["--text-column", "text", "--min-df", "1", "--no-plot", "--model", "m.safetensors"]
    refused = run(["train", "t.csv", *common], tmp_path)
    assert refused.returncode == 2 and "give --encoding" in refused.stderr
    trained = run(["train", "t.csv", *common, "--encoding", "latin-1"], tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "positive class: '1'" in trained.stdout
    assert persist.load_model(tmp_path / "m.safetensors").classes == ("0", "1")
    predicted = run(["predict", "--model", "m.safetensors", "t.csv"], tmp_path)
    assert predicted.stdout.splitlines()[0] == "name\tP(1)\tlabel"
    assert {line.split("\t")[2] for line in predicted.stdout.splitlines()[1:]} == {"0", "1"}


def test_words_of_a_model_without_weights_say_there_are_none(tmp_path):
    from dataclasses import replace

    make_corpus(tmp_path / "reviews", per_class=10)
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1", "--iterations", "5"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    model = persist.load_model(tmp_path / "r.safetensors")
    persist.save_model(tmp_path / "z.safetensors", replace(model, w=np.zeros_like(model.w)))
    words = run(["words", "--model", "z.safetensors"], tmp_path)
    assert words.returncode == 0
    assert words.stdout.splitlines() == [
        f"towards {c!r}: (no word has a weight this way: the model has not learned any)"
        for c in ("pos", "neg")
    ]
    # words on one side only: the other answer comes through the bias (it was "not learned")
    one_sided = replace(model, w=np.maximum(model.w, 0.0))
    persist.save_model(tmp_path / "p.safetensors", one_sided)
    lines = run(["words", "--model", "p.safetensors"], tmp_path).stdout.splitlines()
    assert lines[0].startswith("towards 'pos': ") and "(no word" not in lines[0]
    assert lines[1] == (
        "towards 'neg': (no word has a weight this way: the model gives this answer through "
        "its bias, where a document holds few of the words that point away from it)"
    )


def test_evaluate_and_report_take_the_encoding_their_messages_name(tmp_path):
    """A document in another encoding than the model's is refused with "give --encoding";
    evaluate and report take that option as predict does."""
    make_corpus(tmp_path / "reviews", per_class=10)
    common = ["--model", "r.safetensors", "--no-plot", "--min-df", "1", "--iterations", "5"]
    assert run(["train", "reviews", *common], tmp_path).returncode == 0
    (tmp_path / "reviews" / "pos" / "latin.txt").write_bytes("café superb".encode("latin-1"))
    refused = run(["evaluate", "--model", "r.safetensors", "reviews"], tmp_path)
    assert refused.returncode == 2 and "give --encoding" in refused.stderr
    for command in (["evaluate"], ["report", "-o", "r.html"]):
        given = run([*command, "--model", "r.safetensors", "reviews", "--encoding", "latin-1"],
                    tmp_path)  # fmt: skip
        assert given.returncode == 0, given.stderr


def test_utf8_documents_read_as_latin1_are_said(tmp_path, monkeypatch):
    """A model trained with --encoding latin-1 reads the documents it scores so too: UTF-8
    text decodes there without an error, each accented letter as two characters, and was
    scored by the bias alone, exit 0, without a word (a Latin-1 document is no UTF-8, and
    plain ASCII reads the same either way: neither is named)."""
    from lrnn.data.checks import Utf8ReadAsOneByte

    watch = Utf8ReadAsOneByte("cp1252")
    for name, blob in (
        ("utf8", "génial".encode()),
        ("latin", "génial".encode("latin-1")),
        ("ascii", b"great"),
        ("bom", "\ufeffgénial".encode()),  # a byte-order mark decides its own encoding
    ):
        watch.see(blob, name)
    assert watch.names == ["utf8"] and watch.seen == 4
    assert not Utf8ReadAsOneByte("utf-8").on and not Utf8ReadAsOneByte("utf-16").on
    assert not Utf8ReadAsOneByte("shift_jis").on  # several bytes a character: no sure sign
    for cls, word in (("bon", "génial"), ("mauvais", "médiocre")):
        (tmp_path / "fr" / cls).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "fr" / cls / f"{i}.txt").write_bytes(f"très {word} {i}".encode("latin-1"))
    common = ["--encoding", "latin-1", "--min-df", "1", "--no-plot", "--model", "fr.safetensors"]
    assert run(["train", "fr", *common, "--iterations", "5"], tmp_path).returncode == 0
    scored = run(["predict", "--model", "fr.safetensors", "-"], tmp_path, stdin="film génial\n")
    said = "standard input: 1 of 1 document(s) are UTF-8 text read as latin-1 (e.g. 'line 1')"
    assert scored.returncode == 0 and said in scored.stderr, scored.stderr
    given = ["predict", "--model", "fr.safetensors", "--encoding", "utf-8", "-"]
    assert "UTF-8 text" not in run(given, tmp_path, stdin="film génial\n").stderr
    # said once for standard input, however many batches it is scored in
    from lrnn.data import text_stdin

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("génial\n".encode() * 5)))
    with pytest.warns(UserWarning) as caught:
        batches = list(text_stdin.stdin_batches("latin-1", size=2))
    assert len(batches) == 3
    assert [str(w.message) for w in caught if "UTF-8 text" in str(w.message)] == [
        "standard input: 2 of 2 document(s) are UTF-8 text read as latin-1 (e.g. 'line 1'), so "
        "their accented letters are misread ('é' as 'Ã©') and so are their words; if they are "
        "UTF-8, give --encoding utf-8."
    ]
    # and for a CSV's column of documents, read in the table's encoding
    rows = "".join(f"très génial {i},bon\ntrès médiocre {i},mauvais\n" for i in range(5))
    (tmp_path / "t.csv").write_text("text,label\n" + rows)
    with pytest.warns(UserWarning, match=r"t.csv: 10 of 10 document\(s\) are UTF-8 text read as"):
        data.load(
            str(tmp_path / "t.csv"),
            text={**text.DEFAULTS, "text_column": "text", "encoding": "latin-1", "min_df": 1},
        )


def test_a_text_table_says_which_of_its_columns_it_does_not_read(tmp_path):
    import pandas as pd

    docs = ["a good superb film", "a dull poor film"] * 10
    frame = pd.DataFrame({"body": docs, "y": ["pos", "neg"] * 10, "stars": [5, 1] * 10})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    common = ["--text-column", "body", "--label", "y", "--min-df", "1", "--no-plot"]
    for name in ("t.csv", "t.parquet"):
        trained = run(["train", name, *common, "--model", "m.safetensors"], tmp_path)
        assert trained.returncode == 0, trained.stderr
        said = f"{name}: a text model reads only the documents in column 'body'; the other "
        assert said + "column(s) 'stars' are not used" in trained.stderr, trained.stderr


def test_a_corpus_without_pictures_is_told_in_texts_words(tmp_path):
    """An even split of .txt and bare files, or a corpus of .md files, was taken for a folder
    of pictures ("give pictures a picture's suffix", "no images in this folder"); with no
    picture in it, it is a text folder, whose messages name the .txt its documents need."""
    for cls in ("a", "b"):
        (tmp_path / "even" / cls).mkdir(parents=True)
        (tmp_path / "md" / cls).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "even" / cls / (f"{i}.txt" if cls == "a" else str(i))).write_text("x y")
            (tmp_path / "md" / cls / f"{i}.md").write_text("some words")
    (tmp_path / "pics" / "a").mkdir(parents=True)
    (tmp_path / "pics" / "a" / "0.png").write_bytes(b"")
    (tmp_path / "pics" / "a" / "notes.md").write_text("about")
    assert text_folders.is_text_folder(tmp_path / "even")
    assert text_folders.is_text_folder(tmp_path / "md")
    assert not text_folders.is_text_folder(tmp_path / "pics")
    # photos in a format lrnn does not decode, beside a README.md: still pictures (told to
    # take a picture's suffix, not to be renamed .txt)
    for cls in ("cat", "dog"):
        (tmp_path / "heic" / cls).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "heic" / cls / f"{i}.heic").write_bytes(b"\0")
    (tmp_path / "heic" / "README.md").write_text("photos")
    assert not text_folders.is_text_folder(tmp_path / "heic")
    # a .json beside each document: still a corpus (its .json files are said to be left out)
    for cls in ("pos", "neg"):
        (tmp_path / "side" / cls).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "side" / cls / f"{i}.txt").write_text("words")
            (tmp_path / "side" / cls / f"{i}.json").write_text("{}")
    assert text_folders.is_text_folder(tmp_path / "side")
    # an array folder beside a README and a LICENSE is data, not a corpus
    (tmp_path / "arrays").mkdir()
    for name in ("X.npy", "y.npy", "README.md", "LICENSE"):
        (tmp_path / "arrays" / name).write_bytes(b"")
    assert not text_folders.is_text_folder(tmp_path / "arrays")
    with pytest.warns(UserWarning, match=r"6 file\(s\) without the .txt suffix left out"):
        with pytest.raises(DataError, match="md: no .txt documents found"):
            data.load(str(tmp_path / "md"))


def test_a_corpus_of_files_without_suffixes_is_a_text_folder(tmp_path):
    """20 Newsgroups names each document by a number, no suffix: its files were left out as
    "not named as pictures" and then "no images in this folder". A README.txt in a class and
    a notes.txt beside the classes do not decide it (the majority of the class files does)."""
    for cls, words in (("sci", "rocket orbit launch"), ("rec", "hockey game team")):
        (tmp_path / "news" / cls).mkdir(parents=True)
        for i in range(4):
            (tmp_path / "news" / cls / str(49960 + i)).write_text(f"the {words} {i}\n")
    (tmp_path / "news" / "sci" / "README.txt").write_text("about this corpus\n")
    (tmp_path / "news" / "notes.txt").write_text("collected in 2026\n")
    assert text_folders.is_text_folder(tmp_path / "news")
    with pytest.warns(UserWarning, match=r"1 file\(s\) with a suffix left out \(sci/README.txt\)"):
        ds = data.load(str(tmp_path / "news"))
    assert len(ds.names) == 8 and ds.classes == ("rec", "sci") and "sci/49960" in ds.names
    # a class folder of .txt files alone is left out here: said as such (it "held no .txt
    # document", five .txt files in it)
    (tmp_path / "news" / "misc").mkdir()
    (tmp_path / "news" / "misc" / "1.txt").write_text("one more\n")
    with pytest.warns(UserWarning) as caught:
        data.load(str(tmp_path / "news"))
    said = " ".join(str(w.message) for w in caught)
    assert "'misc' hold no document without a suffix (as the others here)" in said


def test_an_svmlight_file_whose_columns_are_nearly_all_empty_is_named(tmp_path):
    """One stray index (16000000:1 beside 3 real features) made a model 16 million weights
    wide, L-BFGS used 6.4 GB on 40 rows, and nothing was said."""
    lines = [f"{i % 2} 1:{i} 2:0.5 3:1" for i in range(40)]
    lines[7] += " 16000000:1"
    (tmp_path / "w.svm").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"w.svm: its feature indices run to 16000000 \(line 8\)"
                      r", but only 4 columns hold a value"):  # fmt: skip
        ds = data.load(str(tmp_path / "w.svm"))
    assert ds.X.shape == (40, 16_000_000)
    (tmp_path / "n.svm").write_text("\n".join(lines[:7]) + "\n")  # narrow: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.load(str(tmp_path / "n.svm"))


def test_the_lessons_rate_on_tfidf_rows_gets_a_note(tmp_path, capsys, monkeypatch):
    """2000 gd iterations at 0.005 on unit-length TF-IDF rows ended at a cost near 0.5, with
    nothing said: the step this data allows is hundreds of times larger."""
    from lrnn.cli import main

    make_corpus(tmp_path / "reviews", per_class=20)
    monkeypatch.chdir(tmp_path)
    common = ["train", "reviews", "--no-plot", "--model", "m.safetensors"]
    assert main(common) == 0
    out = capsys.readouterr().out
    assert re.search(r"note: the lesson's learning rate 0.005 is \d+× below the step this data "
                     r"allows \(1/L = [\d.]+\): --learning-rate auto", out)  # fmt: skip
    for chosen in (["--learning-rate", "0.005"], ["--learning-rate", "auto"]):
        assert main([*common, *chosen]) == 0
        assert "note: the lesson's learning rate" not in capsys.readouterr().out


def test_a_test_folder_that_is_the_training_folder_is_said(tmp_path):
    """`--test reviews` with `reviews` trained on scored 100 % without a word (a file given
    twice was said; a folder was not)."""
    from tests.cli_helpers import run

    make_corpus(tmp_path / "reviews", per_class=8)
    args = ["train", "reviews", "--test", "reviews", "--solver", "lbfgs", "--no-plot"]
    proc = run([*args, "--alpha", "1e-3"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--test reviews is the training data itself" in proc.stderr


def test_a_softmax_layer_over_millions_of_hashed_columns_is_said_to_be_large():
    """4 classes over 2**24 hashed columns took 7 GB and three minutes for 177 documents
    (two classes, one neuron: 1.4 GB, 8 s); training now says what it is about to hold."""
    from types import SimpleNamespace

    from lrnn.cli.train_lines import warn_of_a_large_layer

    with pytest.warns(UserWarning, match=r"4 classes over 16777216 columns .* \(512 MiB a copy\)"):
        warn_of_a_large_layer(SimpleNamespace(n_classes=4, n_features=2**24))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_of_a_large_layer(SimpleNamespace(n_features=2**24))  # one neuron: no layer
        warn_of_a_large_layer(SimpleNamespace(n_classes=4, n_features=2**20))


def test_a_text_column_given_for_documents_is_said_to_be_ignored(tmp_path):
    from tests.cli_helpers import run

    make_corpus(tmp_path / "reviews", per_class=8)
    train = ["train", "reviews", "--solver", "lbfgs", "--alpha", "1e-3", "--no-plot"]
    assert run(train, tmp_path).returncode == 0
    document = sorted((tmp_path / "reviews").glob("*/*.txt"))[0]
    args = ["predict", "--model", "lrnn-model.safetensors", str(document), "--text-column", "b"]
    proc = run(args, tmp_path)
    assert proc.returncode == 0 and "--text-column names a CSV/Parquet table's" in proc.stderr


def test_an_index_0_in_a_file_for_a_one_based_model_names_its_line(tmp_path):
    X = sp.random(20, 6, density=0.5, random_state=3, format="csr")
    spec = data.load(_svm(tmp_path / "train.svm", X, np.arange(20) % 2, False)).spec
    assert spec.index_base == 1
    (tmp_path / "z.svm").write_text("1 1:0.5 3:1\n0 2:1\n1 0:2 4:1\n")
    with pytest.raises(DataError, match=r"z.svm: line 3 has feature index 0, but the model"):
        data.load(tmp_path / "z.svm", spec=spec)

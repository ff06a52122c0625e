"""Folders of documents: which folders hold text (not pictures), and which of their files are
the documents — one sub-folder of ``.txt`` files per class, or a flat folder to score — with
what is left out said."""

from __future__ import annotations

import warnings
from pathlib import Path

from lrnn.data.checks import leave_out_links_outside, warn_of_nested_folders, warn_of_odd_entries
from lrnn.errors import DataError, user_stacklevel

#: A document's file name ending (a corpus named by numbers has none: see _document_suffix).
SUFFIX = ".txt"


def is_text_folder(path: Path) -> bool:
    """A folder whose class sub-folders (or itself) hold mostly ``.txt`` files (an image folder
    with a stray note stays an image folder; a stray picture in a text folder is refused)."""
    if not path.is_dir():
        return False
    files = _visible_files(path) + _class_files(path)
    suffix = _document_suffix(path)  # once: it reads the folder itself
    texts = sum(f.suffix.lower() == suffix for f in files)
    if texts > len(files) - texts:
        return True
    # no picture at all, and mostly documents, files without a suffix or files named as text
    # (notes.md): a corpus, told so in text's words (an even split of .txt and bare files, or
    # .md files, got "no images"); photos of a format lrnn does not read (.heic) beside a
    # README.md stay pictures, told to take a picture's suffix
    from lrnn.data.images import picture_suffixes

    if any(f.suffix.lower() in picture_suffixes() for f in files):
        return False
    written = sum(f.suffix.lower() in (suffix, "", *_WRITTEN) for f in files)
    others = len(files) - written
    # documents of the corpus' own suffix may tie with sidecar files (a .json beside each .txt);
    # files named as text alone must outnumber the rest (X.npy beside a README.md is data)
    named = sum(f.suffix.lower() == SUFFIX for f in files)  # .txt documents (not a LICENSE)
    return written > others or (named > 0 and written >= others)


#: Suffixes of files that hold writing, not pictures (a corpus saved in one is told to name its
#: documents .txt).
_WRITTEN = (".md", ".markdown", ".rst", ".text", ".htm", ".html", ".xml", ".tex", ".log")


def _visible_files(folder: Path) -> list[Path]:
    """A folder's files, hidden ones (.DS_Store) left out."""
    return [f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")]


def _class_files(path: Path) -> list[Path]:
    """The visible files of a folder's sub-folders (its classes)."""
    classes = [d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")]
    return [f for d in classes for f in _visible_files(d)]


def _document_suffix(path: Path) -> str:
    """``.txt``; or no suffix at all where the class folders (or a flat folder) hold more files
    without a suffix than ``.txt`` files: a corpus whose documents are named by a number (20
    Newsgroups and others), whose files were left out as "not named as pictures". A picture has
    a suffix, so such a folder is no image folder; a README.txt or notes.txt beside the classes
    does not decide it."""
    files = _class_files(path) or _visible_files(path)
    bare = sum(not f.suffix for f in files)
    return "" if bare > sum(f.suffix.lower() == SUFFIX for f in files) else SUFFIX


def folder_documents(path: Path, allow_flat: bool) -> tuple[list[Path], list[str] | None]:
    """Files of a text folder and their class names (None for a flat folder of documents)."""
    subdirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not subdirs:
        if not allow_flat:
            raise DataError(
                f"{path}: no class sub-folders; arrange the documents as one sub-folder of "
                ".txt files per class."
            )
        suffix = _document_suffix(path)
        visible = sorted(_visible_files(path))  # hidden files (.DS_Store) are no documents
        flat = [f for f in visible if f.suffix.lower() == suffix]
        _say_left_out(path, [f for f in visible if f.suffix.lower() != suffix], suffix)
        return leave_out_links_outside(path, flat), None
    suffix = _document_suffix(path)
    files, labels, skipped, empty = [], [], [], []
    for d in subdirs:
        before = len(files)
        for f in sorted(d.iterdir()):
            if not f.is_file() or f.name.startswith("."):
                continue
            if f.suffix.lower() != suffix:  # a LICENSE, a notes.md: not a document
                skipped.append(f)
                continue
            files.append(f)
            labels.append(d.name)
        if len(files) == before:
            empty.append(d.name)
    warn_of_nested_folders(path, subdirs)
    warn_of_odd_entries(path, subdirs)
    beside = sorted(_visible_files(path))
    loose = [f for f in beside if f.suffix.lower() == suffix] if allow_flat else []
    if beside and not loose:  # a README, or documents meant for a class: either way not read
        warnings.warn(
            f"{path}: {len(beside)} file(s) beside the class folders left out "
            f"({', '.join(f.name for f in beside[:3])}{', …' if len(beside) > 3 else ''}); a "
            "document belongs in its class's sub-folder.",
            stacklevel=user_stacklevel(),
        )
    if loose:  # scored with the others: said, as a README.txt there is one of them
        warnings.warn(
            f"{path}: {len(loose)} document(s) beside the class folders scored too "
            f"({', '.join(f.name for f in loose[:3])}{', …' if len(loose) > 3 else ''}); move "
            "any that is no document (a README.txt) out of the folder.",
            stacklevel=user_stacklevel(),
        )
    inside = set(leave_out_links_outside(path, loose + files))
    labels = [label for f, label in zip(files, labels, strict=True) if f in inside]
    files = [f for f in loose + files if f in inside]
    _say_left_out(path, skipped + [f for f in beside if f not in loose] * bool(loose), suffix)
    if empty:  # documents here are named as the folder's are: .txt, or (a corpus's) no suffix
        kind = ".txt document" if suffix else "document without a suffix (as the others here)"
        warnings.warn(
            f"{path}: class folder(s) {', '.join(map(repr, empty[:5]))} hold no {kind}, so "
            "those classes are left out; add documents or remove the folders.",
            stacklevel=user_stacklevel(),
        )
    return files, None if loose else labels  # predict scores those beside the folders too


def _say_left_out(path: Path, skipped: list[Path], suffix: str) -> None:
    """Files of a text folder that are not documents by their suffix, named in a warning."""
    if not skipped:
        return
    named = ", ".join(str(f.relative_to(path)) for f in skipped[:3])
    named += ", …" if len(skipped) > 3 else ""
    warnings.warn(
        f"{path}: {len(skipped)} file(s) without the .txt suffix left out ({named}); "
        "rename them to .txt to use them."
        if suffix
        else f"{path}: {len(skipped)} file(s) with a suffix left out ({named}): the "
        "documents here have none; rename them without it to use them.",
        stacklevel=user_stacklevel(),
    )

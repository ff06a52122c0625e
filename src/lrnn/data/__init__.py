"""Loaders for the data lrnn learns from, and the preprocessing spec that travels with a model.

Every loader returns a :class:`Dataset` whose ``X`` is ``(m, n)``, one example per row, ready
for the math: uint8 pixels for images (the 1/255 scale is applied inside the math, so no float
copy of the pictures is ever made), float64 for tables (standardised when asked). The
:class:`Preprocessing` spec records how raw data became ``X``; a saved model carries it, so new
data given to that model is converted the same way (same image size, same columns, same mean
and std).

This package knows nothing of training. It is also the door through which untrusted files come
in, so every loader checks sizes *before* reading (a tiny file may declare a terabyte array or a
gigapixel image; see :mod:`lrnn.data.limits`), never unpickles, and turns every failure into a
one-line :class:`~lrnn.errors.DataError` that names the file, the column or value, and the way
out.

One module per format family, and the pieces they share:

=================  ==========================================================================
``loaders``        :func:`load` (by file type), :func:`load_inputs` (to predict on),
                   :func:`load_streamed` (a Parquet folder or Zarr store to score a block
                   at a time), :func:`builtin`
``images``         single images and image folders (one sub-folder per class)
``hdf5``           the lesson's ``.h5`` files (:func:`load_course_h5`)
``tables``         CSV and Parquet
``arrays``         ``.npz``
``builtin``        the data sets bundled with scikit-learn
``preprocessing``  :class:`Preprocessing`, the spec a model carries
``dataset``        :class:`Dataset`, :func:`split`, :func:`align_classes`, label encoding
``sources``        data on storage read a block at a time (out-of-core), and the one layout
                   detector :func:`is_out_of_core`
``fingerprint``    :func:`data_sha256`, the one SHA-256 of training data (in memory or streamed)
``limits``         the size limits checked before reading
``words``          what a word of a text model is (the token pattern), and scripts without spaces
=================  ==========================================================================

Heavy libraries (h5py, Pillow, pandas, pyarrow, zarr, scikit-learn) are imported inside the
loaders that need them, so ``import lrnn.data`` stays cheap.
"""

from __future__ import annotations

from lrnn.data import limits
from lrnn.data.builtin import BUILTIN_NAMES, DEFAULT_BUILTIN
from lrnn.data.dataset import (
    Dataset,
    align_classes,
    check_width,
    row_names,
    set_positive_class,
    split,
    split_rows,
    subset,
)
from lrnn.data.fingerprint import SourceDigest, data_sha256
from lrnn.data.hdf5 import load_course_h5
from lrnn.data.loaders import (
    TABLE_SUFFIXES,
    builtin,
    id_refused,
    load,
    load_inputs,
    load_streamed,
    scored_streamed,
    streamed_blocks,
    streamed_only,
)
from lrnn.data.preprocessing import KINDS, Preprocessing
from lrnn.data.sources import is_out_of_core, open_out_of_core, out_of_core_layout

__all__ = [
    "BUILTIN_NAMES",
    "TABLE_SUFFIXES",
    "DEFAULT_BUILTIN",
    "KINDS",
    "Dataset",
    "Preprocessing",
    "SourceDigest",
    "align_classes",
    "builtin",
    "data_sha256",
    "id_refused",
    "is_out_of_core",
    "limits",
    "load",
    "load_course_h5",
    "load_inputs",
    "load_streamed",
    "open_out_of_core",
    "row_names",
    "out_of_core_layout",
    "set_positive_class",
    "check_width",
    "split",
    "scored_streamed",
    "streamed_blocks",
    "streamed_only",
    "split_rows",
    "subset",
]

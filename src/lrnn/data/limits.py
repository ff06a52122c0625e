"""Size limits for untrusted input, checked *before* anything is read or decoded.

A tiny file may declare a terabyte array or a gigapixel image; every loader compares what a file
declares with these limits first. They are module attributes read at call time, so a program
that really needs bigger inputs can raise them (``lrnn.data.limits.MAX_IMAGE_PIXELS = ...``).
"""

from __future__ import annotations

#: Largest image (width × height) decoded; bigger ones are refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
#: Most features (height × width × channels) pictures are trained or scored at: one picture
#: of 50 megapixels may be read, but a neuron with 150 million weights for every picture of
#: a folder is gigabytes (--image-size makes them smaller).
MAX_IMAGE_FEATURES = 2**24
#: Largest array (declared shape × itemsize) read from any file, checked before reading.
MAX_ARRAY_BYTES = 4 * 2**30
#: Most columns a table may have.
MAX_COLUMNS = 100_000
#: Longest line accepted in a CSV file.
MAX_LINE_BYTES = 16 * 2**20
#: Largest text document (a .txt file, a line of standard input, a table cell) accepted.
MAX_DOCUMENT_BYTES = 8 * 2**20
#: Most text one Parquet column may hold once decoded (pandas needs several times that).
MAX_COLUMN_TEXT_BYTES = 256 * 2**20
#: Most feature columns of sparse data (svmlight files, hashed text): the weights are a dense
#: vector of this many floats (128 MiB in float64), whatever few values the file stores.
MAX_SPARSE_FEATURES = 2**24
#: Most bytes of a model's weights (features × classes, float64): training keeps several
#: arrays of that size, so 2**24 features suit two classes and a few, not hundreds.
MAX_WEIGHT_BYTES = 2**30
#: A compressed data file may expand to at most this many times its size (plus
#: :data:`MIN_EXPANSION_BYTES`): real svmlight files compress 3–10×, a decompression bomb
#: thousands of times.
MAX_EXPANSION_RATIO = 100
MIN_EXPANSION_BYTES = 64 * 2**20

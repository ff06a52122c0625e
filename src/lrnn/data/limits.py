"""Size limits for untrusted input, checked *before* anything is read or decoded.

A tiny file may declare a terabyte array or a gigapixel image; every loader compares what a file
declares with these limits first. They are module attributes read at call time, so a program
that really needs bigger inputs can raise them (``lrnn.data.limits.MAX_IMAGE_PIXELS = ...``).
"""

from __future__ import annotations

#: Largest image (width × height) decoded; bigger ones are refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
#: Largest array (declared shape × itemsize) read from any file, checked before reading.
MAX_ARRAY_BYTES = 4 * 2**30
#: Most columns a table may have.
MAX_COLUMNS = 100_000
#: Longest line accepted in a CSV file.
MAX_LINE_BYTES = 16 * 2**20
#: Largest text document (a .txt file, a line of standard input, a table cell) accepted.
MAX_DOCUMENT_BYTES = 8 * 2**20

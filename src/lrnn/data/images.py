"""Pictures: single image files and image folders (one sub-folder per class).

Pictures stay uint8 in memory, ``(m, h·w·c)`` one row per picture; the 1/255 scale is recorded
in the spec and applied inside the math, so no float copy is ever made. Every file is refused by
its declared size before a pixel is decoded (a small PNG can declare a gigapixel image).
Pillow is imported inside the functions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.data.checks import check_bytes, is_int, quoted, short
from lrnn.data.dataset import Dataset
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError, UsageError


def image_target(
    spec: Preprocessing | None, image_size: tuple[int, int] | None
) -> tuple[str, tuple[int, int] | None]:
    """PIL mode and (height, width) that loaded images are converted to."""
    if spec is not None and spec.kind == "image" and spec.image_shape is not None:
        h, w, c = spec.image_shape
        return ("L" if c == 1 else "RGB"), (h, w)
    if image_size is not None:
        if not (len(image_size) == 2 and all(is_int(v) and v > 0 for v in image_size)):
            raise UsageError(
                f"image_size must be (height, width) in pixels, got {image_size!r}; e.g. (64, 64)."
            )
        return "RGB", (int(image_size[0]), int(image_size[1]))
    return "RGB", None


def _open_checked(path: str) -> Any:
    """Open an image lazily and refuse it by its declared size before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(path)
    except UnidentifiedImageError as e:
        raise DataError(
            f"{path}: not an image file (Pillow cannot identify it); remove it or convert it "
            "to PNG or JPEG."
        ) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _bomb(path, short(e)) from e
    except OSError as e:
        raise DataError(f"{path}: cannot open image ({short(e)}); check the file.") from e
    width, height = im.size
    if width * height > limits.MAX_IMAGE_PIXELS:
        im.close()
        raise _bomb(path, f"{width}×{height} pixels")
    return im


def _bomb(path: str, detail: str) -> DataError:
    return DataError(
        f"{path}: image is too large to decode safely ({detail}; limit {limits.MAX_IMAGE_PIXELS} "
        "pixels), possibly a decompression bomb; resize it before use."
    )


def _read_image(path: str, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One image file → (h, w, c) uint8, converted to ``mode`` and resized to ``size``."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_checked(path) as im:
                im = ImageOps.exif_transpose(im).convert(mode)
                if size is not None and im.size != (size[1], size[0]):
                    im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                arr = np.asarray(im, dtype=np.uint8)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _bomb(path, short(e)) from e
    except (OSError, ValueError, SyntaxError) as e:  # truncated or malformed image data
        raise DataError(f"{path}: cannot decode image ({short(e)}); check the file.") from e
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def read_images(paths: Sequence[str], mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """Image files → (m, h, w, c) uint8; the size defaults to the first image's."""
    if size is None:  # the first picture, upright (EXIF), sets the size of all
        size = _read_image(paths[0], mode, None).shape[:2]
    channels = 1 if mode == "L" else 3
    check_bytes(paths[0], f"{len(paths)} images", (len(paths), *size, channels), 1)
    out = np.empty((len(paths), *size, channels), dtype=np.uint8)
    for i, p in enumerate(paths):
        out[i] = _read_image(p, mode, size)
    return out


def convert_image(img: np.ndarray, mode: str, size: tuple[int, int]) -> np.ndarray:
    """An (h, w, c) uint8 picture converted and resized like a file would be."""
    from PIL import Image

    im = Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img)
    im = im.convert(mode).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    arr = np.asarray(im, dtype=np.uint8)
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def image_dataset(
    raw: np.ndarray, y: np.ndarray | None, classes: tuple | None, names: list[str], source: str
) -> Dataset:
    """(m, h, w, c) uint8 pictures → a Dataset with flattened rows and a gallery view."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    m, h, w, c = raw.shape
    X = raw.reshape(m, h * w * c)
    spec = Preprocessing(kind="image", image_shape=(h, w, c), scale=1 / 255)
    return Dataset(X, y, classes, names, spec, source, raw_images=X.reshape(m, h, w, c))


def _image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataError(f"{folder}: no images in this folder; add images or remove the folder.")
    return files


def load_image_folder(
    folder: Path, mode: str, size: tuple[int, int] | None, *, allow_flat: bool
) -> Dataset:
    """A folder with one sub-folder of images per class (or, unlabeled, just images)."""
    subdirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(subdirs) == 2:
        groups = [_image_files(d) for d in subdirs]
        files = groups[0] + groups[1]
        y = np.repeat(np.arange(2, dtype=np.int64), [len(g) for g in groups])
        classes: tuple[str, str] | None = (subdirs[0].name, subdirs[1].name)
    elif not subdirs and allow_flat:
        files, y, classes = _image_files(folder), None, None
    else:
        raise DataError(
            f"{folder}: an image folder needs exactly two sub-folders, one per class; found "
            f"{len(subdirs)} ({quoted([d.name for d in subdirs])}) — arrange the images as "
            f"{folder}/<class-a>/*.png and {folder}/<class-b>/*.png."
        )
    raw = read_images([str(f) for f in files], mode, size)
    names = [f.relative_to(folder).as_posix() for f in files]
    return image_dataset(raw, y, classes, names, str(folder))

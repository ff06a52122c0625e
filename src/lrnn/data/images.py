"""Pictures: single image files and image folders (one sub-folder per class).

Pictures stay uint8 in memory, ``(m, h·w·c)`` one row per picture; the 1/255 scale is recorded
in the spec and applied inside the math, so no float copy is ever made. Pictures of any bit
depth are brought to that 0–255 scale first (16-bit by 257, float pixels as 0–1 intensities), so
a model trained on 8-bit pictures gives the same answer for the same picture saved at 16 bits.
A folder of grey pictures trains as grey (h·w features), any colour picture makes it RGB; the
model's spec records which, and new pictures are converted to it. Every file is refused by
its declared size before a pixel is decoded (a small PNG can declare a gigapixel image).
Pillow is imported inside the functions.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.data.checks import (
    check_bytes,
    is_int,
    leave_out_links_outside,
    quoted,
    short,
    warn_of_nested_folders,
    warn_of_odd_entries,
)
from lrnn.data.dataset import (
    UNBALANCED_RATIO,
    Dataset,
    by_value_if_numbers,
    class_name_problem,
    look_alike_problem,
    number_written_twice,
)
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError, UnbalancedClassesWarning, UsageError, user_stacklevel

#: Pillow modes of single-channel pictures (grey at any bit depth). A folder whose pictures all
#: have one of these trains as grey (h·w features); any colour picture makes it RGB (3·h·w).
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
#: Modes of 16-bit (or 32-bit integer) grey pixels: 0–65535 maps to 0–255 by dividing by 257.
_DEEP_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def image_target(
    spec: Preprocessing | None, image_size: tuple[int, int] | None
) -> tuple[str | None, tuple[int, int] | None]:
    """PIL mode and (height, width) that loaded images are converted to.

    A model's spec fixes both. Without one the mode is None — it follows the pictures (see
    :func:`read_images`) — and the size is ``image_size`` or None (the first picture's).
    """
    if spec is not None and spec.kind == "image" and spec.image_shape is not None:
        h, w, c = spec.image_shape
        return ("L" if c == 1 else "RGB"), (h, w)
    if image_size is not None:
        return None, checked_image_size(image_size)
    return None, None


def checked_image_size(image_size: Any) -> tuple[int, int]:
    """``image_size`` as (height, width), or the one-line refusal (a bare 8 failed in len())."""
    if not (
        isinstance(image_size, tuple | list)
        and len(image_size) == 2
        and all(is_int(v) and v > 0 for v in image_size)
    ):
        raise UsageError(
            f"image_size={image_size!r}: give (height, width) in pixels, e.g. (64, 64)."
        )
    return int(image_size[0]), int(image_size[1])


#: The formats Pillow may open: raster formats it decodes itself. Left out on purpose: EPS and
#: PDF-like formats that Pillow hands to Ghostscript or other programs (attacker bytes must
#: never reach an external interpreter), and rare plugins no one trains on.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "ICO", "PPM", "TGA")


def ico_frame_pixels(stream: Any) -> int:
    """The largest width × height that an ICO file's frames declare in their own headers
    (0 for any other file), read before Pillow opens it: Pillow decodes an icon's frame when
    it opens the file, and a frame's PNG may be far larger than the icon's directory says
    (a 9000 × 9000 PNG inside a "16 × 16" icon took 358 MB before the size was refused)."""
    from PIL import BmpImagePlugin, IcoImagePlugin, PngImagePlugin

    start = stream.tell()
    try:
        if stream.read(4) != b"\0\0\1\0":
            return 0
        stream.seek(start)
        largest = 0
        for entry in IcoImagePlugin.IcoFile(stream).entry:
            stream.seek(start + entry.offset)
            png = stream.read(8) == b"\x89PNG\r\n\x1a\n"
            stream.seek(start + entry.offset)
            frame = (PngImagePlugin.PngImageFile if png else BmpImagePlugin.DibImageFile)(stream)
            largest = max(
                largest, int(frame.size[0]) * int(frame.size[1]), entry.dim[0] * entry.dim[1]
            )
        return largest
    except Exception:  # noqa: BLE001 - a broken icon: Pillow's open then says what is wrong
        return 0
    finally:
        stream.seek(start)


def _open_checked(path: str) -> Any:
    """Open an image lazily and refuse it by its declared size before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    if hasattr(path, "read"):  # an upload, in memory
        icon = ico_frame_pixels(path)
    else:
        try:
            with open(path, "rb") as stream:
                icon = ico_frame_pixels(stream)
        except OSError:
            icon = 0  # Pillow's open says what is wrong with the path
    if icon > limits.MAX_IMAGE_PIXELS:
        raise _bomb(path, f"an icon frame of {icon} pixels")
    try:
        im = Image.open(path, formats=IMAGE_FORMATS)
    except UnidentifiedImageError as e:
        if _is_empty(path):
            raise DataError(
                f"{path}: is empty (0 bytes), not a picture; save or copy it again, or leave it "
                "out."
            ) from e
        raise DataError(
            f"{path}: not an image file lrnn reads (PNG, JPEG, GIF, BMP, TIFF, WebP, ICO, PPM, "
            "TGA); convert it to PNG or JPEG, or leave it out."
        ) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _pillows_bomb(path, e) from e
    except OSError as e:
        raise DataError(f"{path}: cannot open image ({short(e)}); check the file.") from e
    width, height = im.size
    if width * height > limits.MAX_IMAGE_PIXELS:
        im.close()
        raise _bomb(path, f"{width}×{height} pixels")
    return im


def _is_empty(path: Any) -> bool:
    try:
        return os.path.getsize(path) == 0
    except (OSError, TypeError):
        return False


def declared_pixels(blob: bytes) -> int:
    """Width × height that an encoded picture declares, read from its header without decoding
    (0 when it is not a picture lrnn reads: the decoder then says what is wrong)."""
    import io

    from PIL import Image

    icon = ico_frame_pixels(io.BytesIO(blob))
    if icon:  # opening an icon decodes it: its frames' own headers say their size first
        return icon
    try:
        # the size is what is asked: Pillow's warning of a large one (a line in the server's
        # log for every such request) is the caller's to act on, by this number
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(blob), formats=IMAGE_FORMATS) as im:
                return int(im.size[0]) * int(im.size[1])
    except Exception:  # noqa: BLE001 - any unreadable header counts as nothing here
        return 0


def _pillows_bomb(path: str, error: Exception) -> DataError:
    """Pillow's own refusal, said in lrnn's words (its message quotes a limit of its own)."""
    declared = re.search(r"\((\d+) pixels\)", str(error))
    return _bomb(
        path, f"{declared.group(1)} pixels" if declared else "more pixels than Pillow allows"
    )


def _bomb(path: str, detail: str) -> DataError:
    return DataError(
        f"{path}: image is too large to decode safely ({detail}; limit {limits.MAX_IMAGE_PIXELS} "
        "pixels), possibly a decompression bomb; resize it before use."
    )


def _decoding(path: str, read: Callable[[Any], Any]) -> Any:
    """``read(image)`` on the opened file, every decoding failure turned into one DataError."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_checked(path) as im:
                return read(im)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _pillows_bomb(path, e) from e
    except (OSError, ValueError, SyntaxError) as e:  # truncated or malformed image data
        raise DataError(f"{path}: cannot decode image ({short(e)}); check the file.") from e


#: Pixels converted at a time from a 16-bit or float picture: the temporaries stay a few MB
#: however large the picture (whole-picture float64 copies took 1.6 GB for 49 megapixels).
_CONVERT_BLOCK = 1 << 20


def _as_8bit(im: Any, path: str) -> Any:
    """A picture of deeper grey pixels as an 8-bit "L" picture on the same 0–1 scale.

    Pillow's own conversion clips 16-bit values at 255 (mid-grey 32768 would become white) and
    truncates float pixels to 0 or 1, so they are scaled here: 16-bit by 65535/255 = 257
    (rounded; an 8-bit picture saved at 16 bits comes back exactly), floats taken as 0–1
    intensities. 16-bit colour PNGs need nothing: Pillow keeps their high byte.
    """
    from PIL import Image

    if im.mode not in _DEEP_MODES and im.mode != "F":
        return im
    width, height = im.size
    out = np.empty((height, width), dtype=np.uint8)
    rows = max(1, _CONVERT_BLOCK // max(1, width))
    for start in range(0, height, rows):
        # a strip at a time: np.asarray of the whole picture copies it twice over
        block = np.asarray(im.crop((0, start, width, min(start + rows, height))))
        target = out[start : start + rows]
        if im.mode in _DEEP_MODES:
            if block.size and (block.min() < 0 or block.max() > 65535):
                low, high = im.getextrema()
                raise DataError(
                    f"{path}: integer pixels range from {low} to {high}, beyond 16 bits; save "
                    "the picture as an 8- or 16-bit image."
                )
            # round(v / 257) in integers: v / 257 is never a half (257 is odd)
            wide = block.astype(np.int64) + 128
            np.floor_divide(wide, 257, out=wide)
            target[...] = wide
            continue
        values = block.astype(np.float64)
        finite = np.isfinite(values)
        if not finite.all():
            raise DataError(
                f"{path}: holds NaN or infinite pixels (the first at row "
                f"{start + int(np.argwhere(~finite)[0][0])}); save a picture with finite "
                "values, or an 8- or 16-bit image."
            )
        if values.size and not (values.min() >= 0 and values.max() <= 1):
            low, high = im.getextrema()
            raise DataError(
                f"{path}: floating-point pixels range from {low:g} to {high:g}, not 0–1 "
                "(lrnn reads float pictures as 0–1 "
                "intensities); rescale them to 0–1 or save an 8- or 16-bit image."
            )
        values *= 255
        target[...] = np.rint(values, out=values)
    return Image.fromarray(out)


#: The EXIF tag that says how a camera held the picture (1: upright).
_ORIENTATION = 0x0112


def _has_see_through_pixels(im: Any) -> bool:
    """Whether a picture shows some pixels (partly) transparent. Converting it to RGB or L
    drops the alpha, so the colours stored under them count as if they showed: two pictures
    that look the same could get opposite labels, without a word."""
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return im.getextrema()[-1][0] < 255  # alpha's extremes, without a copy
    key = im.info.get("transparency")
    if key is None or im.mode not in ("P", "L", "1", "RGB"):
        return False
    try:
        if im.mode == "P" and isinstance(key, bytes):  # an alpha for each palette entry
            counts = im.histogram()
            return any(counts[i] and alpha < 255 for i, alpha in enumerate(key[:256]))
        if im.mode in ("P", "L") and isinstance(key, int) and 0 <= key < 256:
            return im.histogram()[key] > 0  # one palette entry or grey level
        if im.mode == "1" and key in (0, 1, 255):  # black or white
            return im.histogram()[255 if key else 0] > 0
        if im.mode == "RGB" and isinstance(key, tuple) and all(0 <= k < 256 for k in key):
            return bool((np.asarray(im) == np.asarray(key, dtype=np.uint8)).all(axis=-1).any())
    except (TypeError, ValueError, IndexError):  # a key of another form: no transparency read
        return False
    # (a 16-bit colour's key, whose pixels Pillow keeps as 8 bits, cannot be matched exactly)
    return False


#: What is said of pictures with see-through pixels, after the files' names.
SEE_THROUGH = (
    "see-through pixels; their colours are read as stored, as if opaque, so what lies under "
    "the see-through parts counts — flatten them onto one background first (e.g. white) if "
    "the model should see them as they are shown"
)


def _read_image(
    path: str, mode: str, size: tuple[int, int] | None, notes: list[str] | None = None
) -> tuple[np.ndarray, tuple[int, int], bool]:
    """One image file → ((h, w, c) uint8 in ``mode`` resized to ``size``, its own (h, w),
    whether it has see-through pixels); what it warns of is appended to ``notes`` instead,
    where given."""
    from PIL import Image, ImageOps

    def read(im: Any) -> tuple[np.ndarray, tuple[int, int], bool]:
        # No copy where nothing changes: exif_transpose and convert each copied the whole
        # picture even then, and with the decoded original alive a 49-megapixel upload held
        # 600 MB (four copies) until its resize to the model's few thousand pixels.
        frames = getattr(im, "n_frames", 1)
        # an animation, a multi-page TIFF; not a camera's JPEG with a preview frame (MPO),
        # whose first frame is the photo
        if isinstance(frames, int) and frames > 1 and im.format != "MPO":
            message = (
                f"{path}: holds {frames} frames (an animation or several pages); only the "
                "first is used — save the frame you mean as a picture of its own."
            )
            if notes is None:
                warnings.warn(message, stacklevel=user_stacklevel())
            else:
                notes.append(message)
        if im.getexif().get(_ORIENTATION, 1) != 1:
            im = ImageOps.exif_transpose(im)
        im = _as_8bit(im, path)
        own = (im.size[1], im.size[0])
        see_through = _has_see_through_pixels(im)
        if im.mode != mode:
            im = im.convert(mode)
        if size is not None and im.size != (size[1], size[0]):
            im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8), own, see_through

    arr, own, see_through = _decoding(path, read)
    return arr.reshape(arr.shape[0], arr.shape[1], -1), own, see_through


def read_image(
    path: Any, mode: str, size: tuple[int, int] | None, notes: list[str] | None = None
) -> np.ndarray:
    """One picture (a path, or a named in-memory file) as (h, w, c) uint8 in ``mode`` at
    ``size``: what the loaders do to each file, for pictures that arrive as bytes (serve,
    whose answer carries the ``notes`` a terminal would have shown as warnings)."""
    picture, _, see_through = _read_image(path, mode, size, notes)
    if see_through:
        said = f"{getattr(path, 'name', path)}: has {SEE_THROUGH}."
        if notes is None:
            warnings.warn(said, stacklevel=user_stacklevel())
        else:
            notes.append(said)
    return picture


def _common_mode(paths: Sequence[str]) -> str:
    """ "L" when every picture is grey (at any bit depth), else "RGB"; read from the headers."""
    for p in paths:
        if _decoding(p, lambda im: im.mode) not in _GREY_MODES:
            return "RGB"
    return "L"


def read_images(
    paths: Sequence[str], mode: str | None, size: tuple[int, int] | None, source: str = ""
) -> np.ndarray:
    """Image files → (m, h, w, c) uint8.

    ``mode`` None follows the pictures (all grey → "L", else "RGB"). ``size`` None takes the
    first picture's (upright, after EXIF rotation) and warns, naming ``source``, when others
    differ: they are resized, which the user may not expect.
    """
    mode = mode or _common_mode(paths)
    chosen = size is None
    if size is None:  # the first picture, upright (EXIF), sets the size of all
        size = _read_image(paths[0], mode, None)[0].shape[:2]
    channels = 1 if mode == "L" else 3
    features = int(size[0]) * int(size[1]) * channels
    if features > limits.MAX_IMAGE_FEATURES:
        where = "the first picture's size" if chosen else "the size asked for"
        raise DataError(
            f"{source or paths[0]}: pictures of {size[0]}×{size[1]} ({where}) give {features} "
            f"features, more than lrnn trains on ({limits.MAX_IMAGE_FEATURES}); give "
            "--image-size 64x64 (or another smaller size) to shrink them."
        )
    check_bytes(paths[0], f"{len(paths)} images", (len(paths), *size, channels), 1)
    out = np.empty((len(paths), *size, channels), dtype=np.uint8)
    other: list[tuple[str, tuple[int, int]]] = []
    see_through: list[str] = []
    for i, p in enumerate(paths):
        out[i], own, shows_through = _read_image(p, mode, size)
        if own != tuple(size):
            other.append((p, own))
        if shows_through:
            see_through.append(p)

    def shown(name: str) -> str:
        return Path(name).relative_to(source).as_posix() if _within(name, source) else name

    if chosen and other:
        h, w = size
        name, (oh, ow) = other[0]
        warnings.warn(
            f"images in {source or paths[0]} have different sizes ({len(other)} of {len(paths)} "
            f"are not {h}×{w}, e.g. {shown(name)} is {oh}×{ow}); all resized to {h}×{w} "
            "(height×width of the first image); use --image-size HxW to choose.",
            stacklevel=user_stacklevel(),
        )
    if see_through:
        where, verb = f"{source}: " if source else "", "has" if len(see_through) == 1 else "have"
        which = (
            f"{see_through[0]}: has"
            if len(paths) == 1
            else f"{where}{len(see_through)} of {len(paths)} pictures (e.g. "
            f"{shown(see_through[0])}) {verb}"
        )
        warnings.warn(f"{which} {SEE_THROUGH}.", stacklevel=user_stacklevel())
    return out


def _within(name: str, source: str) -> bool:
    return bool(source) and Path(name).is_relative_to(source)


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


def picture_suffixes() -> set[str]:
    """File name endings of the formats lrnn decodes (``.png``, ``.jpg``, ``.tif``, …)."""
    from PIL import Image

    return {ext for ext, fmt in Image.registered_extensions().items() if fmt in IMAGE_FORMATS}


def _image_files(folder: Path, top: Path) -> list[Path]:
    """The pictures of a folder of the data folder ``top`` — those linking outside it left
    out, and files whose names say they are something else (a README.txt, notes.md) left out
    with a warning, as a text folder leaves out what is not .txt — refused when there are
    none. A file named as a picture that does not decode is refused later, by name."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    pictures = picture_suffixes()
    others = [p for p in files if p.suffix.lower() not in pictures]
    if others:
        warnings.warn(
            f"{folder}: {len(others)} file(s) not named as pictures left out "
            f"({', '.join(p.name for p in others[:3])}{', …' if len(others) > 3 else ''}); "
            "give pictures a picture's suffix (.png, .jpg, …) to use them.",
            stacklevel=user_stacklevel(),
        )
        files = [p for p in files if p not in others]
    linked = len(files)
    files = leave_out_links_outside(top, files)
    if not files:
        raise DataError(_no_pictures(folder, top, linked))
    return files


def _no_pictures(folder: Path, top: Path, linked: int) -> str:
    """Why a class folder gives no pictures, and the way out: a data set split into folders
    (train/, test/, each with its class folders) was "split/test: no images in this folder";
    pictures that all link outside were the same line after a warning."""
    if linked:
        return (
            f"{folder}: its {linked} picture(s) all link outside {top} and were left out; copy "
            "them into the folder (or give the folder they are in)."
        )
    inner = _folders_in(folder)
    if not inner:
        return f"{folder}: no images in this folder; add images or remove the folder."
    sets = _folders_in(top)
    # a split names its parts so (cat/indoor and dog/indoor are classes of sub-folders)
    split = any(_SPLIT_PARTS & set(re.split(r"[^a-z]+", name.lower())) for name in sets)
    if not split or not all(_folders_in(top / name) for name in sets):
        return (
            f"{folder}: holds folders ({quoted(inner)}), not pictures: a class's pictures lie "
            "directly in its folder (folders inside it are left out); move them up into it."
        )
    train = next((n for n in sets if "train" in n.lower()), sets[0])
    test = next((n for n in sets if n != train and "test" in n.lower()), None)
    also = f"; when training, {top / test} as --test" if test else ""
    return (
        f"{folder}: holds folders ({quoted(inner)}), not pictures: {top} looks like data sets "
        f"({quoted(sets)}) each with its class folders; give one as the data (e.g. "
        f"{top / train}{also})."
    )


#: Words that name the parts of a data set split into folders (train/, test/, val/, …).
_SPLIT_PARTS = {"train", "training", "test", "testing", "val", "valid", "validation", "dev"}


def _folders_in(folder: Path) -> list[str]:
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def _warn_if_unbalanced(folder: Path, subdirs: list[Path], groups: list[list[Path]]) -> None:
    """Say so when one class has far fewer images than another: a model can then score well by
    ignoring it (class weights, --class-weight balanced, counter that)."""
    sizes = [len(g) for g in groups]
    small = int(np.argmin(sizes))
    if sizes[small] < UNBALANCED_RATIO * max(sizes):
        big = int(np.argmax(sizes))
        images = "image" if sizes[small] == 1 else "images"
        warnings.warn(
            f"{folder}: the classes are unbalanced ({subdirs[small].name!r} has {sizes[small]} "
            f"{images}, {subdirs[big].name!r} {sizes[big]}); a model can score well by ignoring "
            "the small class — add images, or weight the classes when training "
            "(--class-weight balanced).",
            UnbalancedClassesWarning,
            stacklevel=user_stacklevel(),
        )


def _loose_pictures(folder: Path) -> list[Path]:
    """The pictures directly in ``folder``, beside any sub-folders (a README.txt is none)."""
    pictures = picture_suffixes()
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in pictures
    )


def _warn_of_files_beside_classes(folder: Path) -> None:
    """A picture next to the class folders has no class, and is no example: say so, rather
    than train on the folders alone without a word."""
    loose = [p.name for p in _loose_pictures(folder)]
    if loose:  # a README.txt there is no example, and needs no word
        shown = ", ".join(loose[:3]) + (", …" if len(loose) > 3 else "")
        warnings.warn(
            f"{folder}: {len(loose)} picture(s) beside the class folders left out ({shown}); "
            "only what is inside a class folder is an example — move each into its class's "
            "folder (predict scores them where they are).",
            stacklevel=user_stacklevel(),
        )


def load_image_folder(
    folder: Path, mode: str | None, size: tuple[int, int] | None, *, allow_flat: bool
) -> Dataset:
    """A folder with one sub-folder of images per class (or, unlabeled, just images)."""
    found = {d.name: d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")}
    subdirs = [found[name] for name in by_value_if_numbers(list(found))]
    # One class folder is data of one class: a model can be evaluated on it (training refuses
    # it, naming the one class, as it refuses a table of one class).
    if len(subdirs) >= 1:
        groups = [_image_files(d, folder) for d in subdirs]
        files = [f for g in groups for f in g]
        y = np.repeat(np.arange(len(groups), dtype=np.int64), [len(g) for g in groups])
        classes: tuple[str, ...] | None = tuple(d.name for d in subdirs)
        problem = class_name_problem(classes)
        if problem:  # before the pictures are read and a model trained, not when it is saved
            raise DataError(
                f"{folder}: the class folders give {problem}; rename (or remove) class folders."
            )
        alike = look_alike_problem(classes) or number_written_twice(classes)
        if alike:
            raise DataError(
                f"{folder}: as class folders, {alike}; rename one, or move its pictures into "
                "the other."
            )
        if not allow_flat:  # predict (which takes flat folders) ignores the classes
            _warn_if_unbalanced(folder, subdirs, groups)
        warn_of_nested_folders(folder, subdirs)
        warn_of_odd_entries(folder, subdirs)
        loose = _loose_pictures(folder) if allow_flat else []
        if loose:  # predict scores every picture, those beside the folders too (left out)
            files = leave_out_links_outside(folder, loose) + files
            y, classes = None, None
        else:
            _warn_of_files_beside_classes(folder)
    elif not subdirs and allow_flat:
        files, y, classes = _image_files(folder, folder), None, None
        warn_of_odd_entries(folder, [folder])
    else:
        raise DataError(
            f"{folder}: a folder of examples needs two or more sub-folders, one per class; "
            f"found {len(subdirs)} ({quoted([d.name for d in subdirs])}) — arrange the images "
            f"as {folder}/<class-a>/*.png, {folder}/<class-b>/*.png, … (or documents as "
            f"<class>/*.txt)"
        )
    raw = read_images([str(f) for f in files], mode, size, str(folder))
    names = [f.relative_to(folder).as_posix() for f in files]
    return image_dataset(raw, y, classes, names, str(folder))


def check_image_size(size: tuple[int, int] | None, ds: Any) -> None:
    """--image-size resizes image files; anything else it would silently not touch."""
    if size is None:
        return
    shape = ds.spec.image_shape if ds.spec.kind == "image" else None
    if shape is None or tuple(shape[:2]) != tuple(size):
        what = f"pictures stored as {shape[0]}×{shape[1]}" if shape else f"{ds.spec.kind} data"
        raise UsageError(
            f"--image-size {size[0]}x{size[1]} resizes image files and folders, but {ds.source} "
            f"holds {what}, which it cannot change; drop --image-size."
        )

"""TIFF pages at fax resolution, decoded by Pillow in the sandbox child (never in the parent).

Each page is scaled from its own resolution (a fax's fine 204×196 dpi when absent or absurd)
to the fax's, as an 8-bit grey image; a TIFF has no text layer.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image

from policies.documents.model import DPI, DocumentUnreadable, PageLimits, RenderedPage

__all__ = ["render"]


def _count_tiff_pages(image, seen: int, limits: PageLimits) -> dict:
    """Facts for the message: the page count, if the directories end soon enough."""
    cap = max(10 * limits.max_pages, 1000)
    index = seen
    while index < cap:
        try:
            image.seek(index + 1)
        except EOFError:
            return {"pages": index + 1, "limit": limits.max_pages}
        except Exception:
            break
        index += 1
    return {}


def render(data: bytes, limits: PageLimits, dpi: tuple[int, int]) -> Iterator[RenderedPage]:
    """In the sandbox child: the TIFF's pages at `dpi`, one by one, after every page's size is
    checked against `limits` from its directory. Raises DocumentUnreadable."""
    from PIL import TiffImagePlugin  # noqa: F401  (registers the TIFF reader)

    Image.MAX_IMAGE_PIXELS = limits.max_pixels_per_page
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=["TIFF"])
    except Image.DecompressionBombError as exc:
        raise DocumentUnreadable("too_many_pixels", str(exc), page=1) from None
    except Exception as exc:
        raise DocumentUnreadable("broken", f"{type(exc).__name__}: {exc}") from None
    # First pass: directories only (each page's size and resolution), nothing decoded.
    plan = []
    index = 0
    while True:
        try:
            image.seek(index)
        except EOFError:
            break
        except Image.DecompressionBombError as exc:
            raise DocumentUnreadable("too_many_pixels", str(exc), page=index + 1) from None
        except Exception as exc:
            raise DocumentUnreadable("broken", f"page {index + 1}: {type(exc).__name__}: {exc}") from None
        if index >= limits.max_pages:
            raise DocumentUnreadable("too_many_pages", "more pages than the limit", **_count_tiff_pages(image, index, limits))
        width, height = image.size
        if width <= 0 or height <= 0:
            raise DocumentUnreadable("broken", f"page {index + 1} has no size")
        try:
            xres, yres = (float(v) for v in image.info.get("dpi") or DPI["fine"])
        except (TypeError, ValueError):
            xres, yres = DPI["fine"]
        if not (1 <= xres <= 10000 and 1 <= yres <= 10000):
            xres, yres = DPI["fine"]  # absent or absurd: a fax's own fine resolution
        target = (max(1, round(width * dpi[0] / xres)), max(1, round(height * dpi[1] / yres)))
        if max(width * height, target[0] * target[1]) > limits.max_pixels_per_page:
            raise DocumentUnreadable("too_many_pixels", f"page {index + 1}: {width}x{height} px", page=index + 1)
        plan.append(target)
        index += 1
    if not plan:
        raise DocumentUnreadable("broken", "no pages")
    # Second pass: decode and convert page by page.
    for index, target in enumerate(plan):
        try:
            image.seek(index)
            image.load()
            page = image.convert("L")
        except MemoryError:
            raise
        except Exception as exc:
            raise DocumentUnreadable("broken", f"page {index + 1}: {type(exc).__name__}: {exc}") from None
        if page.size != target:
            page = page.resize(target, Image.Resampling.BOX)
        yield RenderedPage(index + 1, target[0], target[1], page.tobytes(), None, None)

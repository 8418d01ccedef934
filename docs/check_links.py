"""Check the internal links of the built HTML documentation.

Every relative ``href`` or ``src`` in ``docs/_build/html`` must name a file
that exists, and a ``#fragment`` pointing into an HTML page must name an
``id`` (or an anchor ``name``) of that page. External links (with a scheme
such as ``https:``) are not checked: the build machines have no network.

Usage: ``python docs/check_links.py [BUILD_DIR]``; exit code 1 lists the
broken links.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"href", "src"}


class _Page(HTMLParser):
    """The link targets and the anchors of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.anchors = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.anchors.add(value)
            if name in LINK_ATTRIBUTES and value:
                self.links.append(value)


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def _pages(root):
    """The HTML pages of the site (not the theme's templates in _static)."""
    return [
        path
        for path in sorted(root.rglob("*.html"))
        if path.relative_to(root).parts[0] not in ("_static", "_sources")
    ]


def broken_links(root):
    """``(page, link, reason)`` for every broken internal link under root."""
    root = Path(root).resolve()
    cache = {}
    broken = []
    for page_path in _pages(root):
        for link in _parse(page_path, cache).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external, or mailto:, data:, javascript:
            target = page_path
            if parts.path:
                target = (page_path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    broken.append((page_path, link, "no such file"))
                    continue
            fragment = unquote(parts.fragment)
            if (
                fragment
                and target.suffix == ".html"
                and fragment not in _parse(target, cache).anchors
            ):
                broken.append((page_path, link, f"no anchor #{fragment}"))
    return root, broken


def main(argv):
    default = Path(__file__).resolve().parent / "_build" / "html"
    root, broken = broken_links(argv[1] if len(argv) > 1 else default)
    for page, link, reason in broken:
        print(f"{page.relative_to(root)}: {link} ({reason})")
    n_pages = len(_pages(root))
    if broken:
        print(f"{len(broken)} broken internal link(s) in {n_pages} pages")
        return 1
    print(f"internal links: all good ({n_pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

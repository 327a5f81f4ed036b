"""The package's long description; everything else about the package is in pyproject.toml.

The long description is README.md without its images. The README shows its screenshots by relative
paths (docs/images/...), which a package index page cannot resolve, and the project has no public
repository URL to make them absolute; so the lines that are markdown images are left out, and nothing
else is changed. pyproject.toml lists "readme" as dynamic for this.
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup

README = Path(__file__).resolve().parent / "README.md"

#: A line that holds only markdown images: ``![alt](path)``, one or more.
IMAGE_LINE = re.compile(r"\s*(!\[[^\]]*\]\([^)]*\)\s*)+")


def long_description() -> str:
    """Return README.md without the lines that are markdown images."""
    lines = README.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not IMAGE_LINE.fullmatch(line))


setup(long_description=long_description(), long_description_content_type="text/markdown")

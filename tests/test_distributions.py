"""The sdist and the wheel that would be published: their files, their metadata and the licence.

They are read, as a package index or an installer would, from the directory DATALORE_DIST_DIR names
(``make dist`` builds them into dist/; ``make test`` sets it), with the standard library only. Without
it, the tests of the built files skip; the checks of the repository's LICENSE and of the patterns run.
"""

from __future__ import annotations

import email.parser
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from email.message import Message

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_provider_datalore"
NAME = "airflow-provider-datalore"
#: Repository directories that must never ship in the wheel (they are not part of the package).
NOT_IN_WHEEL = ("tests", "benchmarks", "example_dags", "scripts", "docs", "constraints", "build")
#: Everything the sdist may hold at its top level, and what it must hold.
SDIST_MAY_HOLD = {
    "PKG-INFO",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "MANIFEST.in",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    PACKAGE,
    f"{PACKAGE}.egg-info",
}
SDIST_MUST_HOLD = {"PKG-INFO", "pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md", PACKAGE}
#: Markdown or HTML images: ``![alt](src)``, ``<img src=...>``.
IMAGE = re.compile(r"!\[[^\]]*\]\(|<img\b", re.IGNORECASE)
#: A link target that is a relative path to an image file: ``](docs/images/x.png)``, ``src="x.svg"``.
RELATIVE_IMAGE_LINK = re.compile(
    r"""(?:\]\(|src\s*=\s*["']?)(?![a-z][a-z0-9+.-]*:|#)[^)\s"'>]*\.(?:png|jpe?g|gif|svg|webp)\b""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Distribution:
    path: Path
    files: dict[str, bytes]  # path inside the archive (below the sdist's top directory) -> content
    metadata: Message

    def under(self, top: str) -> set[str]:
        """Return the paths below ``top``/, relative to it."""
        return {name[len(top) + 1 :] for name in self.files if name.startswith(f"{top}/")}

    @property
    def top_level(self) -> set[str]:
        return {PurePosixPath(name).parts[0] for name in self.files}


def _only(pattern: str) -> Path:
    """Return the one file matching ``pattern`` in DATALORE_DIST_DIR; skip the test when it is not set."""
    if not os.environ.get("DATALORE_DIST_DIR"):
        pytest.skip("set DATALORE_DIST_DIR (make test does)")
    directory = Path(os.environ["DATALORE_DIST_DIR"])
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected exactly one {pattern} in {directory}, found {[p.name for p in found]}"
    return found[0]


def _metadata(raw: bytes) -> Message:
    # Core metadata is UTF-8 (the README is not all ASCII); the long description is the body.
    return email.parser.Parser().parsestr(raw.decode("utf-8"))


@pytest.fixture(scope="module")
def wheel() -> Distribution:
    path = _only(f"{PACKAGE}-*.whl")
    with zipfile.ZipFile(path) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    (metadata,) = [content for name, content in files.items() if name.endswith(".dist-info/METADATA")]
    return Distribution(path, files, _metadata(metadata))


@pytest.fixture(scope="module")
def sdist() -> Distribution:
    path = _only(f"{PACKAGE}-*.tar.gz")
    with tarfile.open(path) as archive:
        members = [member for member in archive.getmembers() if member.isfile()]
        tops = {PurePosixPath(member.name).parts[0] for member in archive.getmembers()}
        assert tops == {path.name.removesuffix(".tar.gz")}, (
            f"{path.name}: more than one top directory: {tops}"
        )
        files = {
            str(PurePosixPath(*PurePosixPath(member.name).parts[1:])): archive.extractfile(member).read()
            for member in members
        }
    return Distribution(path, files, _metadata(files["PKG-INFO"]))


def _dist_info(wheel: Distribution) -> str:
    (dist_info,) = [top for top in wheel.top_level if top.endswith(".dist-info")]
    return dist_info


def _source_files() -> set[str]:
    """Return the package's files in the source tree: modules and data, not caches or dot files."""
    source = ROOT / PACKAGE
    if not source.is_dir():
        pytest.skip(f"no source tree at {source} (scripts/matrix.py tests a copy without it)")
    return {
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix not in {".pyc", ".pyo"}
        and not any(part == "__pycache__" or part.startswith(".") for part in path.relative_to(source).parts)
    }


def test_wheel_ships_every_file_of_the_package_in_the_source_tree(wheel):
    assert wheel.under(PACKAGE) == _source_files()


def test_sdist_ships_every_file_of_the_package_in_the_source_tree(sdist):
    assert sdist.under(PACKAGE) == _source_files()


def test_wheel_and_sdist_ship_the_same_package_files(wheel, sdist):
    # Where the source tree is not at hand (scripts/matrix.py), this still ties the two together.
    assert wheel.under(PACKAGE) == sdist.under(PACKAGE)
    assert "py.typed" in wheel.under(PACKAGE)
    assert {"__init__.py", "hooks/datalore.py", "emulator/pytest_plugin.py"} <= wheel.under(PACKAGE)


def test_wheel_holds_only_the_package_and_its_dist_info(wheel):
    assert not wheel.top_level & set(NOT_IN_WHEEL), sorted(wheel.top_level & set(NOT_IN_WHEEL))
    assert wheel.top_level == {PACKAGE, _dist_info(wheel)}
    assert not [name for name in wheel.files if "__pycache__" in name or name.endswith((".pyc", ".pyo"))]


def test_wheel_ships_the_license(wheel):
    dist_info = _dist_info(wheel)
    shipped = {f"{dist_info}/licenses/LICENSE", f"{dist_info}/LICENSE"} & set(wheel.files)
    assert shipped, f"no LICENSE in {dist_info}"
    (license_path,) = shipped
    assert wheel.files[license_path] == (ROOT / "LICENSE").read_bytes()
    assert wheel.metadata.get_all("License-File") == ["LICENSE"]
    assert _apache_license_2_0_problems(wheel.files[license_path].decode("utf-8")) == []


def test_sdist_holds_what_builds_the_wheel_and_nothing_else(sdist):
    assert sdist.top_level >= SDIST_MUST_HOLD, sorted(SDIST_MUST_HOLD - sdist.top_level)
    assert sdist.top_level <= SDIST_MAY_HOLD, sorted(sdist.top_level - SDIST_MAY_HOLD)
    assert sdist.files["LICENSE"] == (ROOT / "LICENSE").read_bytes()
    assert _apache_license_2_0_problems(sdist.files["LICENSE"].decode("utf-8")) == []
    assert sdist.files["README.md"] == (ROOT / "README.md").read_bytes()
    assert sdist.files["CHANGELOG.md"] == (ROOT / "CHANGELOG.md").read_bytes()
    assert not [name for name in sdist.files if "__pycache__" in name or name.endswith((".pyc", ".pyo"))]


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_metadata(kind, request):
    metadata = request.getfixturevalue(kind).metadata
    assert metadata["Name"] == NAME
    # License-Expression (PEP 639, metadata 2.4); a backend without it writes the older License field.
    assert (metadata["License-Expression"] or metadata["License"]) == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_wheel_and_sdist_are_one_version(wheel, sdist):
    assert wheel.metadata["Version"] == sdist.metadata["Version"]
    assert wheel.path.name.startswith(f"{PACKAGE}-{wheel.metadata['Version']}-")
    assert sdist.path.name == f"{PACKAGE}-{sdist.metadata['Version']}.tar.gz"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_long_description_is_the_readme_without_its_images(kind, request):
    dist = request.getfixturevalue(kind)
    description = dist.metadata.get_payload()
    assert [line for line in description.splitlines() if IMAGE.search(line)] == []
    assert [line for line in description.splitlines() if RELATIVE_IMAGE_LINK.search(line)] == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    # Only the image lines are gone: every other line is there, in order.
    assert description.splitlines() == [line for line in readme if not IMAGE.search(line)]


def test_the_image_patterns_find_what_they_should():
    # The two patterns above, on what they must and must not match: a guard against a vacuous check.
    assert IMAGE.search("![Airflow's form](docs/images/datalore-connection-form.png)")
    assert IMAGE.search('<img src="x.png">')
    assert not IMAGE.search("[docs/benchmarks.md](docs/benchmarks.md)")
    assert RELATIVE_IMAGE_LINK.search("see [the form](docs/images/form.png)")
    assert RELATIVE_IMAGE_LINK.search('<img src="./shot.PNG">')
    assert not RELATIVE_IMAGE_LINK.search("[a shot](https://example.com/shot.png)")
    assert not RELATIVE_IMAGE_LINK.search("[docs/benchmarks.md](docs/benchmarks.md)")


def test_the_repositorys_license_is_the_apache_license_2_0():
    assert _apache_license_2_0_problems((ROOT / "LICENSE").read_text(encoding="utf-8")) == []


def test_the_license_check_finds_what_it_should():
    # The check above, on texts it must refuse: a guard against a vacuous check.
    apache = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert _apache_license_2_0_problems("MIT License\n\nPermission is hereby granted") != []
    assert _apache_license_2_0_problems(apache + "\nAPACHE AIRFLOW SUBCOMPONENTS:\n...") != []
    assert _apache_license_2_0_problems(apache.replace("6. Trademarks.", "")) != []


def _apache_license_2_0_problems(text: str) -> list[str]:
    """Return what keeps ``text`` from being the Apache License 2.0 alone (empty: it is)."""
    words = " ".join(text.split())
    problems = []
    if not words.startswith("Apache License Version 2.0, January 2004 http"):
        problems.append("does not start with the Apache License 2.0 title")
    headings = [
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "1. Definitions.",
        "2. Grant of Copyright License.",
        "3. Grant of Patent License.",
        "4. Redistribution.",
        "5. Submission of Contributions.",
        "6. Trademarks.",
        "7. Disclaimer of Warranty.",
        "8. Limitation of Liability.",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
        "APPENDIX: How to apply the Apache License to your work.",
    ]
    positions = [words.find(heading) for heading in headings]
    problems += [f"no {heading!r}" for heading, at in zip(headings, positions, strict=True) if at == -1]
    if positions != sorted(positions):
        problems.append("the sections are out of order")
    # Nothing appended after the appendix's notice (Airflow's LICENSE lists its subcomponents there).
    if not words.endswith("governing permissions and limitations under the License."):
        problems.append("text after the appendix's notice")
    return problems

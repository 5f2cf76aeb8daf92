"""Shared fixtures: the real ATT&CK 18.1 bundles, each loaded once per session by attackdb and (for
the comparison tests) by mitreattack-python 6.3.1.

The releases are found in ``ATTACKDB_TEST_DATA``, else ``../../../shared/attack-stix-data``
relative to this crate. Without them the real-data tests are skipped loudly, unless
``ATTACKDB_REQUIRE_DATA`` is set (as ``.ci/run`` does): then they fail.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

CRATE = Path(__file__).resolve().parents[1]
REPO = CRATE.parents[1]
DOMAINS = ("enterprise", "mobile", "ics")
RELEASE = "18.1"

# Everything attackdb writes (prebuilt indexes) goes to a throwaway data home.
_HOME = tempfile.mkdtemp(prefix="attackdb-py-tests-")
os.environ["ATTACKDB_HOME"] = _HOME


def pytest_sessionfinish(session, exitstatus):
    """The data home holds prebuilt indexes (about 125 MB): none is left behind."""
    shutil.rmtree(_HOME, ignore_errors=True)


def data_dir() -> Path:
    return Path(os.environ.get("ATTACKDB_TEST_DATA") or CRATE / ".." / ".." / ".." / "shared" / "attack-stix-data").resolve()


def bundle_gz(domain: str, release: str = RELEASE) -> Path:
    return data_dir() / f"{domain}-attack" / f"{domain}-attack-{release}.json.gz"


def require_data() -> Path:
    """The data folder, or a loud skip (a failure when ATTACKDB_REQUIRE_DATA is set)."""
    folder = data_dir()
    if (folder / "enterprise-attack").is_dir():
        return folder
    message = f"real ATT&CK data missing at {folder} (set ATTACKDB_TEST_DATA)"
    if os.environ.get("ATTACKDB_REQUIRE_DATA"):
        pytest.fail(message + ": the real-data tests are required", pytrace=False)
    print(f"\n!!! SKIPPING real-data test: {message} !!!\n", file=sys.stderr)
    pytest.skip(message)


@pytest.fixture(scope="session")
def home() -> Path:
    """The throwaway data home (``ATTACKDB_HOME``) of this session."""
    return Path(_HOME)


@pytest.fixture(scope="session")
def json_bundles(tmp_path_factory) -> dict[str, Path]:
    """The three 18.1 bundles decompressed (mitreattack-python reads only plain JSON)."""
    require_data()
    folder = tmp_path_factory.mktemp("bundles")
    out = {}
    for domain in DOMAINS:
        target = folder / f"{domain}-attack-{RELEASE}.json"
        with gzip.open(bundle_gz(domain), "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        out[domain] = target
    return out


@pytest.fixture(scope="session")
def ours_all(json_bundles):
    from attackdb import MitreAttackData

    return {domain: MitreAttackData(stix_filepath=str(path)) for domain, path in json_bundles.items()}


@pytest.fixture(scope="session")
def library_all(json_bundles):
    mitre = pytest.importorskip("mitreattack.stix20", reason="mitreattack-python==6.3.1 is needed for the comparison")
    return {domain: mitre.MitreAttackData(stix_filepath=str(path)) for domain, path in json_bundles.items()}


@pytest.fixture(scope="session", params=DOMAINS)
def domain(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def ours(ours_all, domain):
    return ours_all[domain]


@pytest.fixture(scope="session")
def library(library_all, domain):
    return library_all[domain]


@pytest.fixture(scope="session")
def enterprise(ours_all):
    return ours_all["enterprise"]

"""The README's Python example runs as written (from the repository root, beside ../shared)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import DOMAINS, REPO, bundle_gz, require_data


def test_readme_example_runs(tmp_path):
    require_data()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the README's Python section has a python example"
    # A stand-in for the repository root whose ../shared/attack-stix-data holds the 18.1 bundles
    # (linked one by one, so that nothing is ever written into the real data folder).
    root = tmp_path / "repo"
    root.mkdir()
    for domain in DOMAINS:
        folder = tmp_path / "shared" / "attack-stix-data" / f"{domain}-attack"
        folder.mkdir(parents=True)
        os.symlink(bundle_gz(domain), folder / bundle_gz(domain).name)
    env = dict(os.environ, ATTACKDB_HOME=str(tmp_path / "home"))
    for block in blocks:
        result = subprocess.run([sys.executable, "-c", block], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip()

"""
Every git-URL install example in the documentation names a ref that exists: a commit or tag of this
repository, or ``$(git -C <clone> rev-parse HEAD)``, the commit of the clone the same instructions
make. A tag that was never made (``@v0.1.0``) fails the image build of whoever copies it (issue 18).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATED = re.compile(r"\$\(git -C \S+ rev-parse HEAD\)")


def documents():
    """The operator-facing documents; the changelog records what was, not what to run."""
    found = [path for path in ROOT.glob("*.rst") if path.name != "CHANGELOG.rst"]
    for folder in ("docs", "tutor-contrib-commerce-plugin", "examples"):
        found += (ROOT / folder).rglob("*.rst")
    return sorted(found)


def git_url_examples():
    """``(where, pip's git URL up to its '#fragment', the ref after its last '@')`` for each example."""
    for path in documents():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for spec in re.findall(r'git\+[^"\n]*', line):
                url, _, ref = spec.split("#", 1)[0].strip().rpartition("@")
                yield f"{path.relative_to(ROOT)}:{number}", url or spec, ref


def exists_here(ref):
    return (
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def test_the_docs_have_git_url_examples_to_check():
    assert len(list(git_url_examples())) >= 3


def test_every_git_url_install_example_names_a_ref_that_exists():
    literal = [(where, ref) for where, _, ref in git_url_examples() if not GENERATED.fullmatch(ref)]
    if literal and not ((ROOT / ".git").exists() and shutil.which("git")):
        pytest.skip("not a git checkout: the refs cannot be looked up")
    missing = [f"{where}: @{ref or '(no ref)'}" for where, ref in literal if not ref or not exists_here(ref)]
    assert missing == [], "refs that are not in this repository (nor generated from a clone)"

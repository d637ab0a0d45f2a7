"""
``make browser-env`` installs Debian's chromium with apt-get when it is missing. It must say so before
it runs anything, and outside CI never upgrade or remove a package already installed (issue 18).
Run through make with a stand-in apt-get (and sudo) on PATH that records what it was asked.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPGRADES_SYSTEMD = """\
Inst libudev1 [252.30-1~deb12u2] (252.33-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst libsystemd0 [252.30-1~deb12u2] (252.33-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst chromium-common (156.0.8078.129-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst chromium (156.0.8078.129-1~deb12u1 Debian-Security:12/stable-security [amd64])
"""
ONLY_NEW_PACKAGES = """\
Inst chromium-common (156.0.8078.129-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst chromium (156.0.8078.129-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst fonts-liberation (1:1.07.4-11 Debian:12.9/stable [all])
"""
FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$FAKE_APT_LOG"
echo "[apt-get $*]"
case " $* " in *" -s "*) cat "$FAKE_APT_PLAN";; esac
"""
FAKE_SUDO = """#!/bin/sh
[ "$1" = -n ] && shift
exec "$@"
"""


@pytest.fixture
def browser_env(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("apt-get", FAKE_APT_GET), ("sudo", FAKE_SUDO)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log, plan = tmp_path / "apt.log", tmp_path / "plan"
    log.touch()
    venv = tmp_path / "venv"  # its stamps are taken as made (-o): this runs browser-env's recipe alone

    def run(apt_plan, ci=None, chromium=tmp_path / "no-chromium"):
        plan.write_text(apt_plan)
        env = {key: value for key, value in os.environ.items() if key not in {"CI", "MAKEFLAGS", "MFLAGS"}}
        env.update(PATH=f"{bin_dir}:{env['PATH']}", FAKE_APT_LOG=str(log), FAKE_APT_PLAN=str(plan))
        if ci:
            env["CI"] = ci
        done = subprocess.run(
            ["make", "-s", f"VENV={venv}", "-o", f"{venv}/.installed", "-o", f"{venv}/.browser-installed",
             "browser-env", f"CHROMIUM={chromium}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
            check=False,
        )  # fmt: skip
        return done.returncode, done.stdout, log.read_text().splitlines()

    return run


def test_outside_ci_an_install_that_would_upgrade_installed_packages_installs_nothing(browser_env):
    status, output, apt = browser_env(UPGRADES_SYSTEMD)

    assert status != 0
    assert apt == [
        "apt-get update -qq",
        "apt-get install -s --no-install-recommends chromium fonts-liberation",  # a simulation only
    ]
    assert "upgrade libudev1 252.30-1~deb12u2 -> 252.33-1~deb12u1" in output
    assert "upgrade libsystemd0" in output
    assert "Nothing was installed" in output


def test_it_says_what_it_will_run_before_running_apt_get(browser_env):
    _, output, _ = browser_env(ONLY_NEW_PACKAGES)

    announced = output.index("apt-get install --no-install-recommends chromium fonts-liberation")
    assert output.index("Debian's chromium") < announced < output.index("[apt-get")


def test_outside_ci_an_install_of_new_packages_only_goes_ahead_without_recommends(browser_env):
    status, output, apt = browser_env(ONLY_NEW_PACKAGES)

    assert status == 0, output
    assert apt[-1] == "apt-get install -y -qq --no-install-recommends chromium fonts-liberation"
    assert "installing 3 packages" in output


def test_in_ci_the_install_goes_ahead_and_says_it_may_upgrade(browser_env):
    status, output, apt = browser_env(UPGRADES_SYSTEMD, ci="true")

    assert status == 0, output
    assert "CI=true: packages already installed are upgraded" in output
    assert apt[-1] == "apt-get install -y -qq --no-install-recommends chromium fonts-liberation"


def test_nothing_is_run_when_chromium_is_there(browser_env):
    status, output, apt = browser_env(UPGRADES_SYSTEMD, chromium="/bin/sh")

    assert (status, output, apt) == (0, "", [])

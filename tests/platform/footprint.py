"""
What installing the plugin adds to one LMS process (issue 19, item 4): resident memory and import time.

Run with the LMS's Python from the root of an openedx-platform checkout (``make footprint-lms`` does)::

    python /path/to/commerce_plugin/tests/platform/footprint.py [--runs 5]

Each start-up is a fresh ``python -X importtime`` process under ``lms.envs.test``, with no Stripe key
and no database read (so no Stripe store): ``django.setup()``, then the URLconf (``lms.urls``, whose
import runs the admin autodiscovery) with its resolver populated. Start-ups with and without the
plugin alternate, after one discarded warm-up that compiles the bytecode (the plugin's is compiled first,
as pip does when it installs a wheel: an editable install, with ``PYTHONDONTWRITEBYTECODE`` set,
would otherwise compile every plugin module from source at each start-up). "Without" is the same
virtualenv with the plugin's entry points hidden from stevedore, which edx-django-utils discovers
plugins through: the plugin is then not in INSTALLED_APPS and its settings, URLs, admin and signal
receivers are not loaded. Every process checks that it ran the case it was asked for.

- Memory: VmRSS after the start-up; the figure is the median of the paired differences.
- Import time: the modules in ``sys.modules`` with the plugin that no start-up without it imported
  (the plugin's own and what they alone pull in), each counted once at its ``-X importtime`` self time.
  ``importlib.import_module``, which -X importtime does not report, is sent through ``import``, so
  the apps, settings, URLconfs and admin modules Django loads that way are counted too.
  Python's cyclic garbage collector is off during the start-up, in both cases: a full collection of
  the LMS's ~360 MB of objects takes about 200 ms and lands, as that module's self time, in whichever
  module happens to be importing when the threshold trips (measured: 216 ms inside one plugin module
  in one start-up, 3 ms in the next). The plugin's share of that work follows the objects it adds,
  which the memory figure shows; the whole start-up time (collections included) is printed too.

Prints PASS/FAIL against the targets (at most 5 MB and 100 ms) and exits 0 either way; a measurement
that breaks (a start-up failing, a case not what it should be) exits 1.
"""

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RSS_MB = 5.0
TARGET_IMPORT_MS = 100.0
PLUGIN = "commerce_plugin"
IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


# -- one start-up (the child process) ----------------------------------------------------------------


def hide_plugin_entry_points():
    """Drop the plugin's entry points from every stevedore namespace (``lms.djangoapp`` among them)."""
    from stevedore.extension import ExtensionManager  # pylint: disable=import-outside-toplevel

    listed = ExtensionManager.list_entry_points

    def list_entry_points(self):
        return [ep for ep in listed(self) if ep.value.split(":")[0].split(".")[0] != PLUGIN]

    ExtensionManager.list_entry_points = list_entry_points


def log_every_import():
    """
    Send ``importlib.import_module`` through the ``import`` statement's machinery, which is what
    ``-X importtime`` reports on: Django and stevedore load apps, settings, URLconfs and admin modules
    (most of the plugin's own) with ``import_module``, which -X importtime leaves out otherwise.
    """
    import builtins  # pylint: disable=import-outside-toplevel
    from importlib import _bootstrap  # pylint: disable=import-outside-toplevel

    def _gcd_import(name, package=None, level=0):
        name = _bootstrap._resolve_name(name, package, level) if level else name
        builtins.__import__(name)
        return sys.modules[name]

    _bootstrap._gcd_import = _gcd_import


def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def start_up(case, out):
    started = time.perf_counter()
    sys.path[0] = os.getcwd()  # the LMS checkout, as for manage.py, rather than this script's folder
    log_every_import()
    gc.disable()  # see the module docstring: a full collection would land in one module's self time
    if case == "without":
        hide_plugin_entry_points()
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.envs.test"
    import django  # pylint: disable=import-outside-toplevel

    django.setup()
    from django.conf import settings  # pylint: disable=import-outside-toplevel
    from django.urls import get_resolver  # pylint: disable=import-outside-toplevel

    get_resolver().reverse_dict  # noqa: B018  imports lms.urls (admin autodiscovery) and every include
    gc.enable()
    seconds = time.perf_counter() - started
    gc.collect()
    installed = any(app.split(".")[0] == PLUGIN for app in settings.INSTALLED_APPS)
    if installed != (case == "with") or (PLUGIN in sys.modules) != (case == "with"):
        sys.exit(f"the {case!r} start-up has the plugin installed={installed}, imported={PLUGIN in sys.modules}")
    if getattr(settings, "COMMERCE_PLUGIN_STRIPE_API_KEY", None):
        sys.exit("COMMERCE_PLUGIN_STRIPE_API_KEY is set: the figures are for an LMS without Stripe")
    # Module name -> whether a file backs it (aliases such as requests.packages.* have no import of their own).
    modules = {name: bool(getattr(module, "__file__", None)) for name, module in list(sys.modules.items())}
    Path(out).write_text(json.dumps({"rss_kb": rss_kb(), "seconds": seconds, "modules": modules}))


# -- the measurement (the parent process) ------------------------------------------------------------


def run(case):
    """One start-up in a fresh process: its figures, its modules and its ``-X importtime`` entries."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp, "out.json"), Path(tmp, "stderr")
        env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        env.pop("PYTHONIMPORTTIME", None)
        # Bytecode is read from __pycache__ as in an installed LMS: without it every start-up would
        # compile each module from source, about half of the plugin's import time.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-X", "importtime", __file__, "--child", case, "--out", str(out)]
        with err.open("w") as stderr:
            status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env, check=False)
        lines = err.read_text(errors="replace").splitlines()
        if status.returncode or not out.exists():
            tail = "\n".join(line for line in lines if not line.startswith("import time:"))[-3000:]
            sys.exit(f"footprint: the {case!r} start-up failed (exit {status.returncode}):\n{tail}")
        result = json.loads(out.read_text())
    # In order of completion: a module comes after every module it imported, with its nesting depth.
    result["imports"] = [(m[4], int(m[1]), len(m[3]) // 2) for m in map(IMPORTTIME.search, lines) if m]
    if not result["imports"]:
        sys.exit("footprint: -X importtime wrote nothing")
    return result


def importer_chain(imports, name):
    """``name`` and the modules whose import led to it, innermost first."""
    index = next((i for i, (module, _, _) in enumerate(imports) if module == name), None)
    if index is None:
        return []
    chain, depth = [name], imports[index][2]
    for module, _, level in imports[index + 1 :]:
        if level < depth:
            chain.append(module)
            depth = level
    return chain


def plugin_imports(result, baseline_modules):
    """Self times (µs) of the modules this start-up imported and no start-up without the plugin did."""
    only_here = set(result["modules"]) - baseline_modules
    times = {}
    for module, self_us, _ in result["imports"]:
        if module in only_here:
            times[module] = times.get(module, 0) + self_us
    unlogged = sorted(name for name in only_here - times.keys() if result["modules"][name])
    if any(name.split(".")[0] == PLUGIN for name in unlogged):
        sys.exit(f"footprint: -X importtime missed modules, the import time would be short: {unlogged}")
    return times, unlogged


def spread(values, unit, scale=1.0):
    values = [value * scale for value in values]
    return (
        f"median {statistics.median(values):.1f} {unit} (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
    )


def report_memory(pairs):
    """Prints the RSS of both cases and what the plugin adds; returns the added median (MB)."""
    mb = 1 / 1024
    added = [(w["rss_kb"] - b["rss_kb"]) * mb for b, w in pairs]
    print("\nResident memory (VmRSS) after django.setup() and the URLconf, lms.envs.test:")
    print(f"  without the plugin  {spread([b['rss_kb'] for b, _ in pairs], 'MB', mb)}")
    print(f"  with the plugin     {spread([w['rss_kb'] for _, w in pairs], 'MB', mb)}")
    print(f"  added               {spread(added, 'MB')}")
    added_s = [w["seconds"] - b["seconds"] for b, w in pairs]
    print(f"  (whole start-up time added, noisy: {spread(added_s, 'ms', 1000)})")
    return statistics.median(added)


def report_imports(pairs, top):
    """Prints what the plugin's imports cost and who brings stripe in; returns the median total (ms)."""
    baseline = set().union(*(b["modules"] for b, _ in pairs))
    with_plugin = [w for _, w in pairs]
    per_run = [plugin_imports(w, baseline) for w in with_plugin]
    totals = [sum(times.values()) / 1000 for times, _ in per_run]
    own = [sum(us for m, us in times.items() if m.split(".")[0] == PLUGIN) / 1000 for times, _ in per_run]
    print("\nImport time of the plugin's modules and of the modules only they import (-X importtime self times):")
    print(f"  total               {spread(totals, 'ms')}")
    print(f"  the plugin's own    {spread(own, 'ms')}")
    times, unlogged = per_run[totals.index(sorted(totals)[(len(totals) - 1) // 2])]
    packages = {}
    for module, us in times.items():
        count, total = packages.get(module.split(".")[0], (0, 0))
        packages[module.split(".")[0]] = (count + 1, total + us)
    print(f"  top packages (the median start-up: {len(times)} modules imported only with the plugin):")
    for package, (count, us) in sorted(packages.items(), key=lambda item: -item[1][1])[:top]:
        print(f"    {us / 1000:8.1f} ms  {package} ({count} module{'s' * (count != 1)})")
    print("  top modules:")
    for module, us in sorted(times.items(), key=lambda item: -item[1])[:top]:
        print(f"    {us / 1000:8.1f} ms  {module}")
    if unlogged:
        print(f"  ({len(unlogged)} more have no -X importtime entry, e.g. aliases: {', '.join(unlogged[:3])})")

    stripe = [w for w in with_plugin if "stripe" in w["modules"]]
    if stripe:
        chain = " <- ".join(importer_chain(stripe[0]["imports"], "stripe"))
        print(f"\n  stripe imported: YES, in {len(stripe)} of {len(with_plugin)} start-ups: {chain}")
    else:
        print("\n  stripe imported: no")
    if "stripe" in baseline:
        print("  (the LMS imports stripe without the plugin too)")
    return statistics.median(totals)


def compile_plugin():
    """
    Byte-compile the plugin's modules, as pip does when it installs the wheel (a Tutor image): an
    editable install has none, and with ``PYTHONDONTWRITEBYTECODE`` set no start-up writes them.
    Returns the folder, or exits if its bytecode cannot be written (the figures would include compiling).
    """
    import compileall  # pylint: disable=import-outside-toplevel
    import importlib.util  # pylint: disable=import-outside-toplevel

    folder = Path(importlib.util.find_spec(PLUGIN).origin).parent
    if not compileall.compile_dir(str(folder), quiet=1):
        sys.exit(f"footprint: could not byte-compile {folder}")
    return folder


def measure(runs, top):
    print(f"footprint: {runs} start-ups with the plugin and {runs} without, alternating, in {os.getcwd()}")
    print(f"  the plugin's modules byte-compiled in {compile_plugin()}, as a wheel's install does")
    run("with")  # warm-up: the LMS's bytecode written, files in the page cache; not counted
    pairs = [(run("without"), run("with")) for _ in range(runs)]
    rss, imports = report_memory(pairs), report_imports(pairs, top)
    print("\nTargets (issue 19):")
    for name, value, target, unit in (
        ("resident memory added", rss, TARGET_RSS_MB, "MB"),
        ("import time", imports, TARGET_IMPORT_MS, "ms"),
    ):
        verdict = "PASS" if value <= target else "FAIL"
        print(f"  {verdict}  {name} {value:.1f} {unit} (target: at most {target:.0f} {unit})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="start-ups of each case (default 5)")
    parser.add_argument("--top", type=int, default=8, help="contributors to list (default 8)")
    parser.add_argument("--child", choices=["with", "without"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start_up(args.child, args.out)
    elif not Path("lms/envs/test.py").is_file():
        sys.exit("footprint: run me from the root of an openedx-platform checkout (lms/envs/test.py not found)")
    elif args.runs < 1:
        sys.exit("footprint: --runs must be at least 1")
    else:
        measure(args.runs, args.top)


if __name__ == "__main__":
    main()

"""``analyze_package``: a package (archive, directory or in-memory files) -> ``PackageFacts``.

Decides the phase of every code file (install / import / runtime), runs the Python or JavaScript
scanner on it, scans install-hook commands and shell scripts they reach, notes embedded binaries and
the metadata signals (typosquat, odd version, empty metadata).
"""

from __future__ import annotations

import gc
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.packages import files as pf
from chainwatch.packages import gyp, pickles, pygate, pyparse, reach, typosquat
from chainwatch.packages import indicators as ind
from chainwatch.packages import metadata as md
from chainwatch.packages import signals as sg
from chainwatch.packages.pyscan import TEST_PATH_RE, PyScanner, ScanBudget
from chainwatch.packages.signals import Signal

MAX_CODE_FILES = 4000
MAX_CODE_BYTES = 64 * 1024 * 1024
# wall-clock budget for one package's code analysis: files after it get no analysis (noted in skipped),
# so one pathological file shape cannot hold a lockfile vet or an evaluation run indefinitely
MAX_ANALYSIS_SECONDS = 120.0
PY_EXT = (".py", ".pyw", ".pyi")
JS_EXT = (".js", ".cjs", ".mjs", ".jsx", ".ts", ".cts", ".mts")
SHELL_EXT = (".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs")
# An npm file this large that no install hook reaches and that is not the package's entry point is a
# bundle (a CLI or a web UI built with webpack/esbuild): it gets the text-only pass, not a syntax tree.
# Install-time code and the entry points (main, module, browser, bin, exports) always get the full
# analysis, whatever their size.
BUNDLE_BYTES = 1024 * 1024
BINARY_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa")
NATIVE_EXT = (".so", ".pyd", ".node", ".dylib", ".dll")


@dataclass
class PackageFacts:
    ecosystem: str | None
    name: str | None = None
    version: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    install_hooks: list[dict[str, Any]] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    files: int = 0
    code_files: int = 0
    code_bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    text_only: list[str] = field(default_factory=list)  # code files given the text-only pass, with why
    quiet_files: int = 0  # Python files with nothing the scanner looks for (pygate): not parsed
    test_text_files: int = 0  # tests, docs, examples nothing imports: text checks only, no syntax tree
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter, repr=False)  # for the analysis time budget

    def to_dict(self) -> dict[str, Any]:
        return {
            "ecosystem": self.ecosystem, "name": self.name, "version": self.version, "metadata": self.metadata,
            "install_hooks": self.install_hooks, "dependencies": self.dependencies,
            "signals": [s.to_dict() for s in self.signals], "files": self.files, "code_files": self.code_files,
            "code_bytes": self.code_bytes, "skipped": self.skipped[:50],
            "text_only": self.text_only[:50], "quiet_files": self.quiet_files,
            "test_text_files": self.test_text_files, "seconds": round(self.seconds, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageFacts:
        return cls(ecosystem=data.get("ecosystem"), name=data.get("name"), version=data.get("version"),
                   metadata=dict(data.get("metadata") or {}), install_hooks=list(data.get("install_hooks") or []),
                   dependencies=list(data.get("dependencies") or []),
                   signals=[Signal.from_dict(s) for s in data.get("signals") or []], files=int(data.get("files", 0)),
                   code_files=int(data.get("code_files", 0)), code_bytes=int(data.get("code_bytes", 0)),
                   skipped=list(data.get("skipped") or []),
                   text_only=list(data.get("text_only") or []), quiet_files=int(data.get("quiet_files", 0)),
                   test_text_files=int(data.get("test_text_files", 0)), seconds=float(data.get("seconds", 0.0)))


def analyze_package(target: str | Path | pf.PackageFiles, ecosystem: str | None = None) -> PackageFacts:
    """Facts about one package. Raises ``PackageReadError`` when it cannot be read.

    The cyclic garbage collector is paused meanwhile: syntax trees hold millions of objects without
    cycles, and the collector's repeated passes over them cost a third of a large package's time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _analyze_package(target, ecosystem)
    finally:
        pyparse.clear()  # trees shared by reach and pyscan: kept alive, every later collection walks them
        if paused:
            gc.enable()


def _analyze_package(target: str | Path | pf.PackageFiles, ecosystem: str | None) -> PackageFacts:
    started = time.perf_counter()
    pkg = target if isinstance(target, pf.PackageFiles) else pf.load(target)
    eco = ecosystem or md.detect_ecosystem(pkg)
    facts = PackageFacts(ecosystem=eco, files=len(pkg.sizes), skipped=list(pkg.skipped))
    if eco is None:
        eco = "npm" if any(n.endswith(JS_EXT) for n in pkg.sizes) else "pypi-sdist"
        facts.ecosystem = None
    meta = md.metadata_for(pkg, eco)
    facts.metadata = meta
    facts.name = meta.get("name")
    facts.version = meta.get("version")
    facts.install_hooks = md.install_hooks(eco, meta, pkg)
    req = meta.get("requires") or []
    facts.dependencies = sorted(req)[:500] if isinstance(req, dict) else list(req)[:500]
    if eco == "npm":
        _scan_npm(pkg, facts)
    else:
        _scan_python(pkg, facts, eco)
    _scan_binaries(pkg, facts, eco)
    _scan_pickles(pkg, facts)
    _shipped_binary_runs(pkg, facts)
    _metadata_signals(facts, eco, pkg)
    facts.seconds = time.perf_counter() - started
    return facts


# ---------------------------------------------------------------------------- python


def _take_code_budget(rel: str, data: bytes, facts: PackageFacts) -> bool:
    """Count one code file against the package's analysis budget (files and bytes, kept on ``facts``);
    False, with a note in ``facts.skipped``, once it is spent."""
    if facts.code_files >= MAX_CODE_FILES or facts.code_bytes + len(data) > MAX_CODE_BYTES:
        facts.skipped.append(f"{rel}: code analysis budget reached")
        return False
    if time.perf_counter() - facts.started > MAX_ANALYSIS_SECONDS:
        facts.skipped.append(f"{rel}: analysis time budget ({MAX_ANALYSIS_SECONDS:.0f} s) reached")
        return False
    facts.code_files += 1
    facts.code_bytes += len(data)
    return True


def _python_phase(rel: str, pkg: pf.PackageFiles, eco: str, backend_files: set[str],
                  maintainer: set[str]) -> tuple[str, bool]:
    """(module phase, whole file runs at install) for a Python file (``maintainer``: ``_maintainer_scripts``)."""
    base = rel.rsplit("/", 1)[-1]
    if eco == "pypi-sdist" and rel == "setup.py":
        return sg.INSTALL, True
    if rel in backend_files:
        return sg.INSTALL, True
    if TEST_PATH_RE.search(rel) or rel.startswith(".") or "/." in rel:  # tests; CI scripts (.github/...)
        return sg.RUNTIME, False
    if re.search(r"(?:^|/)(?:bin|scripts)/|\.data/scripts/", rel):
        return sg.RUNTIME, False
    folder = rel.rpartition("/")[0]
    if eco == "pypi-sdist" and folder and folder not in ("src", "lib") and f"{folder}/__init__.py" not in pkg.sizes:
        return sg.RUNTIME, False  # a helper folder of the source tree (tools/, ci/): no package, nothing imports it
    if base == "__init__.py" or base == "__main__.py":
        return (sg.IMPORT if base == "__init__.py" else sg.RUNTIME), False
    if eco == "pypi-sdist" and "/" not in rel and base not in ("setup.py", "conftest.py") and \
            base in _setup_local_imports(pkg):
        return sg.IMPORT, False  # setup.py imports it (usually for __version__): judged like any import
    if rel in maintainer:
        return sg.RUNTIME, False
    return sg.IMPORT, False


def _maintainer_scripts(pkg: pf.PackageFiles, eco: str) -> set[str]:
    """Top-level scripts of an sdist that the build does not install (buildout's bootstrap.py, tasks.py):
    they run only when a maintainer runs them, like tests, unless setup.py imports them (``reach``)."""
    if eco != "pypi-sdist":
        return set()
    return {rel for rel in pkg.files if "/" not in rel and rel.endswith(".py")
            and rel not in ("setup.py", "conftest.py") and not _root_module_installed(rel[:-3], pkg)}


_LAYOUT_ROOTS = frozenset(("src", "lib", "python", "py"))
MAX_EXECUTED_MODULES = 64  # shipped modules rescanned because another file executes their text


def _source_tree_folders(pkg: pf.PackageFiles, eco: str, project: str | None) -> set[str]:
    """Top-level folders of an sdist the build cannot install (mercurial's ``contrib/``, ``tools/``, ``ci/``):
    no ``__init__.py`` makes them a package, they are not a layout root (``src/``) or named like the
    project (a namespace package), and neither the build files nor ``top_level.txt`` name them. Their
    code runs only on a maintainer's machine unless the build runs it (then it has the install phase)."""
    if eco != "pypi-sdist":
        return set()
    own = re.sub(r"[-_.]+", "_", (project or "").lower())
    folders = {rel.split("/", 1)[0] for rel in pkg.sizes if "/" in rel}
    folders = {d for d in folders if f"{d}/__init__.py" not in pkg.sizes and d.lower() not in _LAYOUT_ROOTS
               and not d.endswith(".egg-info") and not d.startswith(".")
               and not (own and re.sub(r"[-_.]+", "_", d.lower()) in (own, own.split("_", 1)[0]))}
    if not folders:
        return set()
    named: set[str] = set()  # every word of the build files, and a dotted word's first part (one pass each)
    for name in [n for n in pkg.sizes if n in ("setup.py", "pyproject.toml", "setup.cfg")
                 or n.endswith(".egg-info/top_level.txt")][:8]:
        for word in _BUILD_WORD_RE.findall(pkg.text(name, 512 * 1024)):
            named.add(word)
            named.add(word.split(".", 1)[0])
    return folders - named


_BUILD_WORD_RE = re.compile(r"[\w.-]+")


def _root_module_installed(module: str, pkg: pf.PackageFiles) -> bool:
    """Whether a top-level ``module.py`` of an sdist becomes an importable module: the build files name it
    (``py_modules=["six"]``, ``[tool.setuptools] py-modules``, flit's module) or list the top level's
    files (``glob("*.py")``), or the sdist holds no package for them to install instead."""
    if not any(rel.endswith("/__init__.py") for rel in pkg.sizes):
        return True
    code = " ".join(pkg.text(name, 512 * 1024) for name in ("setup.py", "pyproject.toml") if name in pkg.sizes)
    cfg = pkg.text("setup.cfg", 512 * 1024) if "setup.cfg" in pkg.sizes else ""
    listed = " ".join(m.group(1) for m in _CFG_MODULES_RE.finditer(cfg))  # py_modules = a\n    b
    return re.search(rf"[\"']{re.escape(module)}[\"']|glob\(\s*[\"'](?:\./)?\*\.py[\"']", code) is not None \
        or re.search(rf"\b{re.escape(module)}\b", listed) is not None


_CFG_MODULES_RE = re.compile(r"^py_modules\s*=([^\n]*(?:\n[ \t]+[^\n]*)*)", re.M)


_RUN_MODULE_RE = re.compile(r"""["']-m["']\s*,\s*f?["']([\w.{}-]+)["']|-m\s+([\w.-]+)""")
_SETUP_CONST_RE = re.compile(r"""^([A-Za-z_]\w*)\s*=\s*["']([\w.-]+)["']""", re.M)


def _scripts_run_by_setup(pkg: pf.PackageFiles) -> set[str]:
    """Package modules setup.py starts as programs (``[sys.executable, "-m", "pkg.tool"]``): they run whole
    at install, their ``__main__`` block included. Module names built from a constant of setup.py
    (``f"{PACKAGE_NAME}.utils.analyzer"``) are filled in. (Scripts started by path keep the phase their
    folder gives them: build helpers under scripts/ fetch toolchains honestly.)"""
    text = pkg.text("setup.py", 512 * 1024)
    if "-m" not in text:
        return set()
    consts = dict(_SETUP_CONST_RE.findall(text))

    def fill(name: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: consts.get(m.group(1), m.group(0)), name)

    wanted: set[str] = set()
    for m in _RUN_MODULE_RE.finditer(text):
        module = fill(m.group(1) or m.group(2)).strip(".")
        base = module.replace(".", "/")
        wanted |= {f"{base}.py", f"{base}/__main__.py"}
    return {rel for rel in pkg.files if rel.endswith(".py") and rel != "setup.py"
            and any(rel == w or rel.endswith("/" + w) for w in wanted)}


_IMPORT_LINE_RE = re.compile(rb"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([\w, \t]+)|import[ \t]+([\w., \t]+))",
                             re.M)


def _imported_test_modules(pkg: pf.PackageFiles) -> set[str]:
    """Test, doc and example files that the package's other code imports (``from .testing import ...``):
    they run when it runs, so they keep the full scan. Read from import lines, matched on the module's
    trailing name parts, which errs towards including a file."""
    tests = [rel for rel in pkg.files if rel.endswith(".py") and TEST_PATH_RE.search(rel)]
    if not tests:
        return set()
    names: set[str] = set()
    for rel, data in pkg.files.items():
        if not rel.endswith(".py") or TEST_PATH_RE.search(rel):
            continue
        for m in _IMPORT_LINE_RE.finditer(data[:2 * 1024 * 1024]):
            base, items, plain = (g.decode("ascii", "replace") if g else "" for g in m.groups())
            if plain:
                names.update(x.split(" as ")[0].strip().lstrip(".") for x in plain.split(","))
                continue
            base = base.lstrip(".")
            names.add(base)
            names.update(f"{base}.{x.split(' as ')[0].strip()}".lstrip(".") for x in items.split(","))
    out: set[str] = set()
    for rel in tests:
        parts = rel[:-3].removesuffix("/__init__").split("/")
        if any(".".join(parts[i:]) in names for i in range(len(parts))):
            out.add(rel)
    return out


def _shells_run_by_setup(pkg: pf.PackageFiles, eco: str) -> set[str]:
    """Shipped shell scripts whose path setup.py quotes when setup.py can start programs
    (``subprocess.call(["bash", "deploy/install.sh"])``): they run at install."""
    if eco != "pypi-sdist" or "setup.py" not in pkg.sizes:
        return set()
    text = pkg.text("setup.py", 512 * 1024)
    if not re.search(r"\b(?:subprocess|os\.system|os\.popen|spawn|check_call|check_output)\b", text):
        return set()
    quoted = set(re.findall(r"[\"'/](?:\./)?([\w.-]+)[\"']", text))
    return {rel for rel in pkg.files if rel.endswith(SHELL_EXT) and rel.rsplit("/", 1)[-1] in quoted}


def _setup_local_imports(pkg: pf.PackageFiles) -> set[str]:
    """Top-level modules that setup.py imports (they run at install time too)."""
    text = pkg.text("setup.py", 512 * 1024)
    names = set(re.findall(r"^[ \t]*(?:from|import)\s+([A-Za-z_]\w*)", text, re.M))
    return {f"{n}.py" for n in names}


def _scan_python(pkg: pf.PackageFiles, facts: PackageFacts, eco: str) -> None:
    budget = ScanBudget()
    backend_files: set[str] = set()
    backend_entries: list[str] = []  # in-tree backend modules: pip imports them and calls their hooks
    for hook in facts.install_hooks:
        if hook["kind"] == "build-backend":
            for p in hook.get("path") or []:
                prefix = p.strip("./")
                module = _backend_module(pkg, prefix, str(hook.get("backend") or ""))
                if module:  # what runs is the backend module and the code it reaches (setuptools builds itself)
                    backend_entries.append(module)
                    backend_files.add(module)
                    continue
                backend_files |= {n for n in pkg.files if n.endswith(".py") and (not prefix or n.startswith(prefix))}
        elif hook["kind"] == "build-hook":  # hatch_build.py, pdm_build.py, poetry's build script
            backend_files.add(hook["file"])
    reached = _python_reach(pkg, eco, backend_entries)
    run_at_install = _scripts_run_by_setup(pkg) if eco == "pypi-sdist" else set()
    shells_at_install = _shells_run_by_setup(pkg, eco)
    maintainer = _maintainer_scripts(pkg, eco)
    source_tree = _source_tree_folders(pkg, eco, facts.name)
    imported_tests = _imported_test_modules(pkg)
    run_js = _js_named_by_python(pkg)
    # the phase each module was scanned in ("install-whole": all of it runs at install), and the modules
    # whose text another file executes at install or import: (by, module name, phase, line)
    scanned_as: dict[str, str] = {}
    executed_modules: list[tuple[str, str, str, int]] = []
    for rel in sorted(pkg.files):
        data = pkg.files[rel]
        is_script = not rel.endswith(PY_EXT) and data[:2] == b"#!" and b"python" in data[:80]
        if rel.endswith(".pth"):
            _scan_pth(rel, data, facts, budget)
            continue
        if rel.endswith(SHELL_EXT):
            _scan_shell(rel, data, sg.INSTALL if rel in shells_at_install else sg.RUNTIME, facts)
            continue
        if rel.endswith(".pyc"):
            source = _source_of_bytecode(rel)
            # a .pyc in __pycache__ is only ever loaded as the cache of its source: without one it never runs
            if source not in pkg.sizes and "__pycache__/" not in rel:
                _scan_bytecode(rel, data, _python_phase(source, pkg, eco, backend_files, maintainer)[0], facts)
            continue
        if rel.endswith(JS_EXT):
            from chainwatch.packages.jsscan import JsScanner

            js = JsScanner(rel, data, sg.RUNTIME)
            if rel in run_js:
                facts.signals.extend(s for s in js.scan() if s.kind != sg.PARSE_ERROR)
            else:
                why = "JavaScript in a Python package that no Python or shell file starts with a JS runtime"
                facts.text_only.append(f"{rel}: {why}")
                facts.signals.extend(js.scan_text_only(why))
            continue
        if not (rel.endswith((".py", ".pyw")) or is_script):
            continue
        if not _take_code_budget(rel, data, facts):
            continue
        phase, whole = _python_phase(rel, pkg, eco, backend_files, maintainer)
        if is_script:
            phase, whole = sg.RUNTIME, False
        if rel in run_at_install:  # setup.py starts it as a program: all of it, main block too, runs then
            phase, whole = sg.INSTALL, True
        entry: set[str] = set()
        if not whole and not is_script and rel in reached:
            how = reached[rel]
            if how.phase == sg.INSTALL or phase == sg.IMPORT:
                phase = how.phase if how.phase == sg.INSTALL else phase
                entry = how.functions
        scanned_as[rel] = "install-whole" if phase == sg.INSTALL and whole else phase
        text = data.decode("utf-8", "replace")
        if pygate.quiet_reason(text) is None:  # nothing the scanner could report: no tree needed
            facts.quiet_files += 1
        elif phase == sg.RUNTIME and not whole and rel not in reached and rel not in imported_tests \
                and (TEST_PATH_RE.search(rel) or rel in maintainer):
            # tests, docs, examples and maintainers' scripts that nothing imports run only when someone runs
            # them: their text gets the indicator and payload checks (a payload hidden in a test folder is
            # still decoded), calls are not resolved
            scanner = PyScanner(rel, text, phase, budget)
            scanner.scan_text(text, phase, 0)
            facts.signals.extend(scanner.signals)
            facts.test_text_files += 1
        else:
            # a module's main block runs when it is run as a program (setup.py is, by pip), not on import
            scanner = PyScanner(rel, text, phase, budget, all_install=whole, entry_functions=entry,
                                main_block_runs=whole or is_script)
            facts.signals.extend(scanner.scan())
            for name, exec_phase, line, whole_text in scanner.exec_files:
                if name.endswith(PY_EXT):
                    if whole_text:  # (its version line alone is not the module)
                        executed_modules.append((rel, name, exec_phase, line))
                else:
                    _scan_executed_file(pkg, rel, name, exec_phase, line, budget, facts)
        _line_signals(rel, data, text, phase, facts)
        _obfuscator_markers(rel, text, phase, facts)
    for s in facts.signals:  # run-time code the build never installs runs only where a maintainer runs it
        if s.phase == sg.RUNTIME and s.file and s.file not in reached and s.file not in run_at_install and (
                s.file in maintainer or ("/" in s.file and s.file.split("/", 1)[0] in source_tree)):
            s.detail["not_installed"] = True
    asked: set[tuple[str, str]] = set()
    for by, name, exec_phase, line in executed_modules:  # known only once every file is scanned
        if (name, exec_phase) in asked or len(asked) >= MAX_EXECUTED_MODULES:
            continue  # each file and phase once; a bounded number (hostile input can exec thousands)
        asked.add((name, exec_phase))
        target = _executed_file(pkg, by, name, modules=True)
        if target is None or exec_phase == sg.RUNTIME or scanned_as.get(target) in ("install-whole", exec_phase) \
                or (exec_phase == sg.IMPORT and scanned_as.get(target) == sg.INSTALL):
            continue
        scanned_as[target] = exec_phase
        _scan_executed_file(pkg, by, name, exec_phase, line, budget, facts, modules=True)
    for hook in facts.install_hooks:
        if hook["kind"] == "setup.py" and hook.get("cmdclass"):
            facts.signals.append(Signal(sg.INSTALL_HOOK, "setup.py", 0, "", sg.INSTALL,
                                        {"hook": "cmdclass", "what": "setup.py overrides setuptools commands"}))


def _executed_file(pkg: pf.PackageFiles, by: str, name: str, modules: bool) -> str | None:
    """The shipped file an exec in ``by`` reads, by its name: the one whose path ends with the name, else
    one with its base name, nearest to ``by``'s folder."""
    base = name.rsplit("/", 1)[-1]
    folder = by.rsplit("/", 1)[0] + "/" if "/" in by else ""
    tail = "/" + name.lstrip("./")
    matches = sorted((rel for rel in pkg.files if rel.rsplit("/", 1)[-1] == base
                      and rel.endswith(PY_EXT) == modules),
                     key=lambda rel: (not ("/" + rel).endswith(tail), not rel.startswith(folder), rel))
    return matches[0] if matches else None


def _scan_executed_file(pkg: pf.PackageFiles, by: str, name: str, phase: str, line: int, budget: ScanBudget,
                        facts: PackageFacts, modules: bool = False) -> None:
    """A shipped file whose text ``by`` executes: its code runs in the phase of the exec call, so it is
    scanned as code of that phase. A file that is not a module (``data.bin``, ``x.dat``) has no other scan;
    a module (``tools/vend.py``) is scanned again when setup.py runs it at install or ``__init__`` at import
    (its own scan gave it the phase of its folder: a maintainer's script, a test, a module nothing imports)."""
    rel = _executed_file(pkg, by, name, modules)
    if rel is None:
        return
    # a module's top level runs, and what it calls; a data file's code is all meant to run
    whole = phase == sg.INSTALL and not modules
    for s in PyScanner(rel, pkg.text(rel, 4 * 1024 * 1024), phase, budget, all_install=whole).scan():
        if s.kind != sg.PARSE_ERROR:
            s.detail.setdefault("executed_by", f"{by}:{line}")
            facts.signals.append(s)


def _source_of_bytecode(rel: str) -> str:
    """The source file a .pyc was compiled from: ``pkg/__pycache__/m.cpython-311.pyc`` -> ``pkg/m.py``."""
    folder, _, name = rel.rpartition("/")
    folder = folder.removesuffix("__pycache__").rstrip("/")
    module = name.split(".", 1)[0]
    return f"{folder}/{module}.py" if folder else f"{module}.py"


_PRINTABLE_RE = re.compile(rb"[\x20-\x7e]{6,}")
_NAME_RE = re.compile(rb"[A-Za-z_][A-Za-z0-9_]{2,40}")
_BYTECODE_API_NAMES = frozenset(("exec", "eval", "compile", "urlopen", "urlretrieve", "Popen", "system", "startfile",
                                 "b64decode", "decompress", "loads", "getenv", "environ", "socket", "post"))


def _scan_bytecode(rel: str, data: bytes, phase: str, facts: PackageFacts) -> None:
    """A .pyc shipped without its source: Python imports it like a module (``pkg/m.pyc``), and the code
    cannot be read, which is why stealers ship it (never unmarshalled here: marshal is not safe on
    hostile input). Its strings still name endpoints and paths, and its names say what it calls."""
    head = data[:4 * 1024 * 1024]
    strings = [m.group(0).decode("ascii") for m in _PRINTABLE_RE.finditer(head)][:20_000]
    # marshal keeps each name behind a length byte, so names stand alone in the raw bytes
    names = sorted({w.decode() for w in _NAME_RE.findall(head)} & _BYTECODE_API_NAMES)
    facts.signals.append(Signal(sg.OBF_OBFUSCATOR, rel, 0, "", phase,
                                {"tool": "sourceless bytecode", "names": names[:20], "bytes": len(data)}))
    for text in strings:
        for kind, detail in ind.text_signals(text):
            facts.signals.append(Signal(kind, rel, 0, text[:160], phase, {**detail, "in": "bytecode strings"}))


_JS_NAME_RE = re.compile(rb"(?<![\w.@$+-])[\w.@$+-]+\.(?:[cm]?js|jsx|[cm]?ts)\b")  # tried at name starts only
# a JS runtime started as a process, or an embedded one (js2py, PyExecJS, dukpy, quickjs, PyMiniRacer,
# pythonmonkey, STPyV8)
_JS_RUNTIME_RE = re.compile(rb"[\"'](?:node|nodejs|bun|deno|npx)(?:\.exe)?[\"' ]"
                            rb"|\b(?:node|nodejs|bun|deno)\s+[\w./-]+\.[cm]?js"
                            rb"|\b(?:js2py|execjs|dukpy|quickjs|py_mini_racer|pythonmonkey|STPyV8)\b")


def _js_named_by_python(pkg: pf.PackageFiles) -> set[str]:
    """JavaScript files of a Python package that its Python (or shell) code may start with a JS runtime.

    pip never runs JavaScript; it runs only if Python code starts it (``node payload.js``) or a browser
    loads it (web UI assets, which Python web apps also name, to serve them). A file named in a Python
    file that also names a JS runtime gets the full analysis; the rest the text-only pass.
    """
    by_name: dict[str, list[str]] = {}
    for rel in pkg.files:
        if rel.endswith(JS_EXT):
            by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    if not by_name:
        return set()
    named: set[str] = set()
    for rel, data in pkg.files.items():
        if (rel.endswith(PY_EXT) or rel.endswith(SHELL_EXT)) and _JS_RUNTIME_RE.search(data):
            named.update(m.decode("utf-8", "replace") for m in _JS_NAME_RE.findall(data))
    named &= by_name.keys()
    return {rel for name in named for rel in by_name[name]}


def _backend_module(pkg: pf.PackageFiles, prefix: str, backend: str) -> str | None:
    """The file of an in-tree build backend (``backend-path = ["src"]``, ``poetry.core.masonry.api`` ->
    ``src/poetry/core/masonry/api.py``), or None when it is not shipped."""
    module = backend.split(":", 1)[0].strip().replace(".", "/")
    if not module:
        return None
    base = f"{prefix}/{module}" if prefix else module
    for cand in (f"{base}.py", f"{base}/__init__.py"):
        if cand in pkg.files:
            return cand
    return None


def _python_reach(pkg: pf.PackageFiles, eco: str, backend_entries: list[str] | None = None) -> dict[str, reach.Reach]:
    """Files run at install because setup.py (or an in-tree build backend) reaches them, and functions run at
    import because a package's ``__init__`` calls them across files; the install reach wins where both apply."""
    sources = {rel: data.decode("utf-8", "replace") for rel, data in pkg.files.items()
               if rel.endswith(".py") and len(data) <= reach.MAX_PARSE_BYTES}
    if len(sources) > MAX_CODE_FILES:
        return {}
    out = reach.import_reach(sources)
    if eco == "pypi-sdist":
        for rel, how in reach.install_reach(sources, backend_entries or []).items():
            prev = out.get(rel)
            if prev is not None:
                how.functions |= prev.functions
            out[rel] = how
    return out


def _scan_pth(rel: str, data: bytes, facts: PackageFacts, budget: ScanBudget) -> None:
    """Lines of a .pth file that start with ``import`` run at every interpreter start."""
    text = data.decode("utf-8", "replace")
    code_lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.lstrip().startswith("import")]
    if not code_lines:
        return
    facts.signals.append(Signal(sg.INSTALL_HOOK, rel, code_lines[0][0], code_lines[0][1][:160], sg.INSTALL,
                                {"hook": "pth", "what": ".pth file runs code at every Python start"}))
    for lineno, line in code_lines:
        for s in PyScanner(rel, line, sg.INSTALL, budget, all_install=True).scan():
            if s.kind == sg.PARSE_ERROR:
                continue
            s.line = lineno
            s.snippet = line.strip()[:160]
            facts.signals.append(s)


def _scan_shell(rel: str, data: bytes, phase: str, facts: PackageFacts) -> None:
    text = data[:2 * 1024 * 1024].decode("utf-8", "replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):  # a comment runs nothing (completion scripts: "add this to ~/.bashrc")
            continue
        if len(line) > 20000:
            line = line[:20000]
        for label, match in ind.downloader_commands(line):
            facts.signals.append(Signal(sg.PROCESS_DOWNLOADER, rel, lineno, line.strip()[:160], phase,
                                        {"pattern": label, "match": match}))
        for ep in ind.endpoints_in(line, limit=5):
            _endpoint_signal(facts, ep, rel, lineno, line, phase)
        for label, match in ind.credential_targets(line):
            facts.signals.append(Signal(sg.SOURCE_CREDENTIAL, rel, lineno, line.strip()[:160], phase,
                                        {"store": label, "match": match}))
        places = ind.persistence_targets(line)
        if places and _SHELL_MESSAGE_RE.match(line):  # echo "enable it with: systemctl enable x": a message
            places = ind.persistence_targets(_SHELL_QUOTED_RE.sub("", line))
        if places and _shell_writes(line, text):
            for label, match in places:
                facts.signals.append(Signal(sg.PERSISTENCE, rel, lineno, line.strip()[:160], phase,
                                            {"place": label, "match": match}))


# a shell line that writes a file or registers something (as opposed to naming a path in a message:
# ``echo "now run: source ~/.zshrc"``); a path assigned to a variable counts when the script writes to it
_SHELL_WRITE_RE = re.compile(r">|\btee\b|\b(?:cp|mv|ln|install|rsync|crontab|systemctl|launchctl|schtasks|reg)\b|"
                             r"\bsed\s+-i")
# a line that prints (echo, printf, a logging helper); what it quotes is text for the reader
_SHELL_MESSAGE_RE = re.compile(r"\s*(?:echo|printf|\w*log\w*|warn\w*|info|error|die|say|msg|note)\b")
_SHELL_QUOTED_RE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")
_SHELL_ASSIGN_RE = re.compile(r"^\s*(?:export\s+|local\s+)?([A-Za-z_]\w*)=")


def _shell_writes(line: str, script: str) -> bool:
    if _SHELL_WRITE_RE.search(line):
        return True
    m = _SHELL_ASSIGN_RE.match(line)
    if m is None:
        return False
    var = re.escape(m.group(1))
    return re.search(rf"(?:>>?|\btee\b(?:\s+-a)?)\s*\"?\$\{{?{var}\b", script) is not None


def _endpoint_signal(facts: PackageFacts, ep: ind.Endpoint, rel: str, lineno: int, line: str, phase: str) -> None:
    if ep.category.startswith("token:"):
        facts.signals.append(Signal(sg.ENDPOINT_TOKEN, rel, lineno, line.strip()[:160], phase,
                                    {"url": ep.url[:200], "category": ep.category[6:]}))
    elif ep.category != "ip-lookup":
        facts.signals.append(Signal(sg.ENDPOINT, rel, lineno, line.strip()[:160], phase,
                                    {"url": ep.url[:200], "host": ep.host, "category": ep.category}))


# code after a long run of blanks on the same line: pushed off the right edge of an editor or a diff view
# (rand-user-agent 2025, many PyPI droppers); blanks at the start of a line are indentation
OFFSCREEN_BLANKS = 150
_TABS_AS_SPACES = bytes.maketrans(b"\t", b" ")
_SPACES_RE = re.compile(rb" +")
# what follows the blanks must read as code (a call, an assignment, an import), not as the next cell of a
# wide Markdown table in a docstring
_CODE_START_RE = re.compile(rb"[;,]?\s*(?:import\s|from\s+\S+\s+import\s|[A-Za-z_$][\w$.]*\s*(?:\(|\[|=[^=]))")


def _offscreen_code(rel: str, data: bytes, phase: str, facts: PackageFacts) -> bool:
    """Code hidden after a long run of blanks inside a line: one signal for the first such line.

    The runs are found with ``bytes.find`` on a copy with tabs turned into spaces (a regular expression
    tried at every character cost a second over the evaluation sample).
    """
    head = data[:MAX_CODE_BYTES]
    flat = head.translate(_TABS_AS_SPACES) if b"\t" in head else head
    needle = b" " * OFFSCREEN_BLANKS
    at = flat.find(needle)
    while at >= 0:
        m = _SPACES_RE.match(flat, at)
        end = m.end() if m else at + OFFSCREEN_BLANKS
        # a run that starts a line is indentation; one at the end of a line hides nothing
        if at > 0 and flat[at - 1] not in b"\r\n" and end < len(flat) and flat[end] not in b"\r\n" \
                and _CODE_START_RE.match(head, end):
            start = head.rfind(b"\n", 0, at) + 1
            line_end = head.find(b"\n", end)
            facts.signals.append(Signal(sg.OBF_LONG_LINE, rel, head.count(b"\n", 0, start) + 1,
                                        head[end:end + 120].decode("utf-8", "replace"), phase,
                                        {"length": (line_end if line_end >= 0 else len(head)) - start,
                                         "indent": end - at, "at_column": at - start}))
            return True
        at = flat.find(needle, end)
    return False


def _line_signals(rel: str, data: bytes, text: str, phase: str, facts: PackageFacts) -> None:
    """Huge single lines in hand-written source (hidden code pushed off-screen, packed payloads).
    ``text`` is ``data`` decoded; the off-screen check reads the bytes."""
    if len(text) < 2000:
        return
    if _offscreen_code(rel, data, phase, facts):
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if len(line) > 10_000:
            stripped = line.lstrip()
            facts.signals.append(Signal(sg.OBF_LONG_LINE, rel, lineno, stripped[:120], phase,
                                        {"length": len(line), "indent": len(line) - len(stripped)}))
            break


# (tool, a literal every match contains, pattern): the literal is looked for first, which is far cheaper
# than running the pattern over every file
OBFUSCATOR_MARKERS = [
    # the obfuscated form (the bootstrap call with the encrypted bytes), not the words: the obfuscator's own
    # source names them in templates and docs
    ("pyarmor", ("armor", "pytransform"),
     re.compile(r"__pyarmor__\(\s*__name__\s*,\s*__file__\s*,\s*b['\"]|__armor_enter__\(")),
    ("hyperion", ("Hyperion", "billythegoat356"), re.compile(r"__obfuscator__\s*=\s*['\"]Hyperion|billythegoat356")),
    ("generic-obfuscator", ("__obfuscator__", "from builtins import *"),
     re.compile(r"__obfuscator__\s*=|from builtins import \*[\s\S]{0,400}?=\s*exec\b")),
    ("pyobfuscate", ("pyobfuscate", "Obfuscated ", "BlankOBF", "Kramer", "Specter", "Development.Obfuscator"),
     # Kramer and Specter as the code names them (a class, an import, a call), not as surnames in prose
     # (statsmodels cites the Ploberger-Kramer test)
     re.compile(r"pyobfuscate|Obfuscated (?:with|by) |BlankOBF|Development\.Obfuscator|"
                r"(?:class|import|from)\s+(?:Kramer|Specter)\b|\b(?:Kramer|Specter)\s*\(")),
    ("lambda-chain", ("lambda",), re.compile(r"_{1,3}\s*=\s*lambda\s+_{1,3}\s*:\s*__import__\(")),
    ("marshal-exec", ("marshal",), re.compile(r"exec\(\s*(?:__import__\(['\"]marshal['\"]\)|marshal)\.loads\(")),
]


def _obfuscator_markers(rel: str, text: str, phase: str, facts: PackageFacts) -> None:
    head = text[:400_000]
    for tool, needles, pattern in OBFUSCATOR_MARKERS:
        if not any(n in head for n in needles):
            continue
        m = pattern.search(head)
        if m:
            line = head.count("\n", 0, m.start()) + 1
            facts.signals.append(Signal(sg.OBF_OBFUSCATOR, rel, line, sg.snippet_of(text, line), phase,
                                        {"tool": tool}))
            break


# ---------------------------------------------------------------------------- npm


def _hook_files(command: str, pkg: pf.PackageFiles) -> list[str]:
    """Package files an npm script command runs (``node x.js``, ``sh y.sh``, ``./z``)."""
    out = []
    for token in re.findall(r"(?<![\w./@-])[\w./@-]+\.(?:js|cjs|mjs|sh|bat|cmd|ps1|py)\b|\./[\w./-]+", command):
        rel = token.removeprefix("./")
        if rel in pkg.files:
            out.append(rel)
        elif rel + ".js" in pkg.files:
            out.append(rel + ".js")
    m = re.search(r"\bnode\s+(?:-\w+\s+)*([\w./@-]+)", command)
    if m:
        rel = m.group(1).removeprefix("./")
        for cand in (rel, rel + ".js", rel.rstrip("/") + "/index.js"):
            if cand in pkg.files and cand not in out:
                out.append(cand)
    return out


def _scan_npm(pkg: pf.PackageFiles, facts: PackageFacts) -> None:
    from chainwatch.packages.jsscan import JsScanner

    install_files: set[str] = set()
    for hook in facts.install_hooks:
        cmd = hook.get("command") or ""
        if not hook["kind"].startswith("npm:") or hook["kind"] == "npm:node-gyp":
            continue
        benign_build = re.fullmatch(r"\s*(?:node-gyp(?:-build)?\s+rebuild|node-gyp-build|prebuild-install(?:\s.*)?|"
                                    r"husky(?:\s+install)?|tsc|npm run build|patch-package|node-pre-gyp install"
                                    r"(?:\s.*)?)\s*(?:\|\|.*)?", cmd)
        facts.signals.append(Signal(sg.INSTALL_HOOK, "package.json", 0, f"{hook['kind'][4:]}: {cmd[:150]}",
                                    sg.INSTALL, {"hook": hook["kind"], "command": cmd[:300],
                                                 "common_build_step": bool(benign_build)}))
        if re.search(r"(?:^|[;&|]\s*)(?:node|python3?|sh|bash)\s+-(?:e|c)\b", cmd):
            facts.signals.append(Signal(sg.EXEC_DYNAMIC, "package.json", 0, cmd[:160], sg.INSTALL,
                                        {"api": "inline script in install hook", "hook": hook["kind"]}))
        install_files.update(_install_command(cmd, "package.json", 0, hook["kind"], pkg, facts))
    if "binding.gyp" in pkg.files and _gyp_runs_at_install(facts.install_hooks):
        text = pkg.text("binding.gyp", 1024 * 1024)
        for line, cmd in gyp.commands(text):
            install_files.update(_install_command(cmd, "binding.gyp", line, "binding.gyp", pkg, facts))
    # files reached from install files by relative require
    frontier = list(install_files)
    while frontier and len(install_files) < 50:
        rel = frontier.pop()
        text = pkg.text(rel, 2 * 1024 * 1024)
        base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for m in re.finditer(r"(?<![\w./-])[\w./-]+\.(?:sh|bat|cmd|ps1|vbs|py|js)\b", text):  # scripts it runs by name
            cand = _join(base, m.group(0).removeprefix("./"))
            for c in (cand, m.group(0).lstrip("./")):
                if c in pkg.files and c not in install_files:
                    install_files.add(c)
                    frontier.append(c)
                    break
        for m in re.finditer(r"require\(\s*['\"](\.{1,2}/[^'\"]+)['\"]\s*\)", text):
            target = _join(base, m.group(1))
            for cand in (target, target + ".js", target + "/index.js"):
                if cand in pkg.files and cand not in install_files:
                    install_files.add(cand)
                    frontier.append(cand)
                    break
    main = (facts.metadata.get("main") or "index.js").removeprefix("./")
    entry = {main, main + ".js", "index.js"}
    run_by_user = entry | {e for e in facts.metadata.get("entry_points") or [] if isinstance(e, str)}
    for rel in sorted(pkg.files):
        data = pkg.files[rel]
        if rel.endswith(SHELL_EXT) or (data[:2] == b"#!" and b"sh" in data[:40] and not rel.endswith(JS_EXT)):
            _scan_shell(rel, data, sg.INSTALL if rel in install_files else sg.RUNTIME, facts)
            continue
        if rel.endswith(".py"):
            phase = sg.INSTALL if rel in install_files else sg.RUNTIME
            facts.signals.extend(PyScanner(rel, data.decode("utf-8", "replace"), phase,
                                           all_install=phase == sg.INSTALL).scan())
            continue
        if not rel.endswith(JS_EXT) or rel.endswith((".d.ts", ".d.mts", ".d.cts")):  # type declarations
            continue
        if not _take_code_budget(rel, data, facts):
            continue
        if rel in install_files:
            phase, whole = sg.INSTALL, True
        elif TEST_PATH_RE.search(rel) or "/__tests__/" in rel:
            phase, whole = sg.RUNTIME, False
        else:
            phase, whole = sg.IMPORT, False
        scanner = JsScanner(rel, data, phase, all_install=whole)
        _offscreen_code(rel, data, phase, facts)
        if len(data) > BUNDLE_BYTES and not whole and rel not in run_by_user:
            why = (f"bundle over {BUNDLE_BYTES >> 20} MiB that no install hook runs and that is not an entry "
                   f"point (main, module, browser, bin, exports)")
            facts.text_only.append(f"{rel}: {why}")
            facts.signals.extend(scanner.scan_text_only(why))
            continue
        sigs = scanner.scan()
        for s in sigs:
            if rel in entry:
                s.detail.setdefault("entry", True)
        facts.signals.extend(sigs)


def _gyp_runs_at_install(hooks: list[dict[str, Any]]) -> bool:
    """npm runs node-gyp itself when there is no install script; an install script may run it too."""
    return any(h["kind"] == "npm:node-gyp" or (h["kind"].startswith("npm:") and re.search(
        r"gyp|prebuild|cmake-js", h.get("command") or "")) for h in hooks)


def _install_command(cmd: str, where: str, line: int, hook: str, pkg: pf.PackageFiles,
                     facts: PackageFacts) -> list[str]:
    """Signals of one command run at install (an npm script, a ``binding.gyp`` expansion or action):
    downloader and miner patterns, endpoints, shell downloads, and the code it hands to node or python
    inline, scanned as install-time code. Returns the package files it runs."""
    from chainwatch.packages.jsscan import JsScanner

    for label, match in ind.downloader_commands(cmd):  # miners included
        facts.signals.append(Signal(sg.PROCESS_DOWNLOADER, where, line, cmd[:160], sg.INSTALL,
                                    {"pattern": label, "match": match, "hook": hook}))
    for ep in ind.endpoints_in(cmd, limit=5):
        _endpoint_signal(facts, ep, where, line, cmd, sg.INSTALL)
    if re.search(r"\b(?:curl|wget)\b|Invoke-WebRequest|\biwr\b", cmd):
        facts.signals.append(Signal(sg.NETWORK, where, line, cmd[:160], sg.INSTALL, {"api": "shell", "hook": hook}))
    files = _hook_files(cmd, pkg)
    for lang, code in gyp.inline_code(cmd):
        scanner = JsScanner(where, code.encode(), sg.INSTALL, all_install=True) if lang == "javascript" \
            else PyScanner(where, code, sg.INSTALL, all_install=True)
        for s in scanner.scan():
            if s.kind != sg.PARSE_ERROR:
                s.line, s.snippet = line, cmd[:160]
                s.detail.setdefault("hook", hook)
                facts.signals.append(s)
        for target in re.findall(r"require\(\s*['\"](\.{1,2}/[^'\"]+)['\"]\s*\)", code):  # node -e "require('./x')"
            rel = _join("", target)
            files.extend(c for c in (rel, rel + ".js", rel + "/index.js") if c in pkg.files)
    return files


def _join(base: str, rel: str) -> str:
    parts = [p for p in (base + rel).split("/") if p not in ("", ".")]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


# ---------------------------------------------------------------------------- shared


def _scan_binaries(pkg: pf.PackageFiles, facts: PackageFacts, eco: str) -> None:
    for rel, data in pkg.files.items():
        head = data[:4]
        if not any(head.startswith(m) for m in BINARY_MAGIC):
            continue
        if head.startswith(b"\xca\xfe\xba\xbe") and rel.endswith(".class"):
            continue
        if head.startswith(b"MZ") and len(data) > 0x40:
            pe_off = int.from_bytes(data[0x3C:0x40], "little")
            if data[pe_off:pe_off + 4] != b"PE\x00\x00":
                continue
        kind = "pe" if head.startswith(b"MZ") else "elf" if head.startswith(b"\x7fELF") else "macho"
        native_ext = rel.endswith(NATIVE_EXT) or ".so." in rel
        facts.signals.append(Signal(sg.BINARY, rel, 0, "", sg.RUNTIME,
                                    {"format": kind, "size": len(data), "extension_module": native_ext,
                                     "source_package": eco in ("pypi-sdist", "npm")}))


def _scan_pickles(pkg: pf.PackageFiles, facts: PackageFacts) -> None:
    """Shipped pickles (and PyTorch zips) whose opcodes name a callable that runs commands or code."""
    for rel, data in pkg.files.items():
        for where, call in pickles.dangerous_calls(rel, data):
            facts.signals.append(Signal(sg.PICKLE_CALL, where, 0, call, sg.RUNTIME, {"call": call}))


_PROXY_RE = re.compile(r"(?i)\b(?:rundll32|regsvr32|regasm|regsvcs|installutil|msiexec|odbcconf)\b")


def _loaded_module(rel: str) -> bool:
    """A Python or Node extension module: the interpreter loads it, nothing starts it as a program."""
    return rel.endswith((".so", ".pyd", ".node")) or ".so." in rel


def _shipped_binary_runs(pkg: pf.PackageFiles, facts: PackageFacts) -> None:
    """A process started by code that runs at install or import, in a file that names an executable or
    DLL the package ships (not an extension module): a dropper that brought its payload along
    (``spawn('rundll32', [__dirname + '/node-gyp.dll,main'])``). Names are matched in a string, alone or
    as the last part of a path."""
    shipped = {s.file.rsplit("/", 1)[-1]: s for s in facts.signals
               if s.kind == sg.BINARY and not _loaded_module(s.file)}
    if not shipped:
        return
    # the name in a string, alone or as its last path part, or before a rundll32 entry point ("x.dll,main");
    # a name without an extension ("run", PyInstaller's bootloader) only quoted whole or ending a path: as a
    # word it is everywhere
    dotted = "|".join(re.escape(n) for n in sorted(shipped) if "." in n) or "(?!)"
    plain = "|".join(re.escape(n) for n in sorted(shipped) if "." not in n) or "(?!)"
    names = re.compile(r"[\"'/\\\s](" + dotted + r")(?=[\"',\s])|[\"'/\\](" + plain + r")(?=[\"'])")
    checked: set[str] = set()  # one signal per code file and executable
    for s in list(facts.signals):
        if s.kind != sg.PROCESS or s.phase not in (sg.INSTALL, sg.IMPORT) or s.file not in pkg.files \
                or s.file in checked:
            continue
        checked.add(s.file)
        text = pkg.text(s.file, 2 * 1024 * 1024)
        proxy = _PROXY_RE.search(text)  # a signed Windows program that runs the DLL for it
        for name in sorted({m.group(1) or m.group(2) for m in names.finditer(text)}):
            binary = shipped[name]
            parent = binary.file.rsplit("/", 2)[-2] if binary.file.count("/") else ""
            if parent and parent not in text:
                continue  # "run" is a word everywhere, run.exe a common name: a nested binary needs its folder too
            facts.signals.append(Signal(sg.RUN_SHIPPED, s.file, s.line, s.snippet, s.phase,
                                        {"binary": binary.file, "format": binary.detail.get("format"),
                                         "api": s.detail.get("api"),
                                         "proxy": proxy.group(0).lower() if proxy else None}))


# registries' own download hosts: a tarball URL there is the registry's copy of a published release
REGISTRY_HOSTS = ("registry.npmjs.org", "registry.yarnpkg.com", "files.pythonhosted.org", "pypi.org")
_GIT_SPEC_RE = re.compile(r"^(?:git\+?[a-z]*://|git@|github:|gitlab:|bitbucket:|gist:|[\w.-]+/[\w.-]+(?:#.*)?$)")


def _remote_dependencies(eco: str, meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, where) for dependencies the installer fetches from a URL or a git repository instead of the
    registry: their code is in no registry tarball, so no registry scan ever saw it (PhantomRaven's
    "remote dynamic dependencies", 2025)."""
    out: list[tuple[str, str]] = []
    requires = meta.get("requires") or {}
    if eco == "npm" and isinstance(requires, dict):
        for name, spec in list(requires.items())[:2000]:
            spec = str(spec).strip()
            tarball = spec.startswith(("http://", "https://")) and ind.url_host(spec) not in REGISTRY_HOSTS
            if tarball or (_GIT_SPEC_RE.match(spec) and not spec.startswith(("file:", "link:", "workspace:", "npm:"))):
                out.append((name, spec))
    elif isinstance(requires, list):
        for req in requires[:2000]:
            m = re.match(r"\s*([A-Za-z0-9][\w.-]*)[^@;]*@\s*(\S+)", str(req))
            if m and "://" in m.group(2) and ind.url_host(m.group(2)) not in REGISTRY_HOSTS:
                out.append((m.group(1), m.group(2)))
    return out


# commands an npm package can shadow by naming its bin after them (npm links bins into the PATH, and a
# global install puts them before the system's): the packages that own each name
SHADOWED_COMMANDS: dict[str, frozenset[str]] = {
    "npm": frozenset({"npm"}), "npx": frozenset({"npm"}), "node": frozenset({"node"}),
    "yarn": frozenset({"yarn"}), "yarnpkg": frozenset({"yarn"}), "pnpm": frozenset({"pnpm"}),
    "pnpx": frozenset({"pnpm"}), "corepack": frozenset({"corepack"}),
    **{cmd: frozenset() for cmd in ("git", "sudo", "sh", "bash", "zsh", "ssh", "curl", "wget", "ls", "python",
                                    "python3", "pip", "pip3")},
}


def _shadowing_bins(name: str | None, meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(command, file) for each bin of an npm package named after a core command the package does not own."""
    bins = meta.get("bin")
    if isinstance(bins, str):  # "bin": "cli.js" installs a command named after the package
        bins = {(name or "").rsplit("/", 1)[-1]: bins}
    if not isinstance(bins, dict):
        return []
    return [(cmd, str(target)) for cmd, target in bins.items()
            if cmd in SHADOWED_COMMANDS and (name or "") not in SHADOWED_COMMANDS[cmd]]


def _metadata_signals(facts: PackageFacts, eco: str, pkg: pf.PackageFiles) -> None:
    if eco == "npm":
        for cmd, target in _shadowing_bins(facts.name, facts.metadata):
            facts.signals.append(Signal(sg.META_BIN_SHADOW, "package.json", 0, f"bin {cmd}: {target}"[:200],
                                        sg.INSTALL, {"bin": cmd, "file": target[:200]}))
    if facts.name:
        squat = typosquat.typosquat_of(eco, facts.name)
        if squat:
            facts.signals.append(Signal(sg.META_TYPOSQUAT, "", 0, facts.name, sg.INSTALL, dict(squat)))
    why = typosquat.odd_version(facts.version)
    if why:
        facts.signals.append(Signal(sg.META_ODD_VERSION, "", 0, str(facts.version), sg.INSTALL, {"why": why}))
    meta = facts.metadata
    if eco == "npm":
        empty = not meta.get("description") and not meta.get("repository") and not meta.get("homepage")
    else:
        empty = not meta.get("summary") and not meta.get("home-page") and not meta.get("project_urls") \
            and not meta.get("description_length")
    if empty:
        facts.signals.append(Signal(sg.META_EMPTY, "", 0, "", sg.RUNTIME,
                                    {"what": "no description, home page or repository"}))
    for name, spec in _remote_dependencies(eco, meta):
        host = ind.url_host(spec) if "://" in spec else ""
        ep = ind.classify_host(host, spec) if host else None
        facts.signals.append(Signal(sg.DEP_REMOTE, "package.json" if eco == "npm" else "", 0, f"{name}: {spec}"[:200],
                                    sg.INSTALL, {"dependency": name, "spec": spec[:300], "host": host or None,
                                                 "tarball": spec.startswith(("http://", "https://")),
                                                 "category": ep.category if ep else None}))
    deps = facts.dependencies
    names = [re.split(r"[\s<>=!~;\[(]", d, maxsplit=1)[0] for d in deps] if not isinstance(deps, dict) else list(deps)
    for dep in names:
        if dep and eco != "npm" and typosquat.typosquat_of(eco, dep):
            facts.signals.append(Signal(sg.DEP_SUSPICIOUS, "", 0, dep, sg.INSTALL,
                                        {"dependency": dep, "why": "dependency name imitates a popular package",
                                         **typosquat.typosquat_of(eco, dep)}))  # type: ignore[dict-item]
            break

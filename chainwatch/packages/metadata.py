"""Ecosystem detection and metadata parsing (PKG-INFO/METADATA, setup.py literals, pyproject, package.json)."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from email.parser import HeaderParser
from typing import Any

from chainwatch.packages.files import PackageFiles

# scripts npm runs when a registry tarball is installed (prepare/prepublish run only for git or local installs)
NPM_INSTALL_HOOKS = ("preinstall", "install", "postinstall", "preuninstall", "uninstall", "postuninstall")
MAX_META_BYTES = 1024 * 1024


def detect_ecosystem(pkg: PackageFiles) -> str | None:
    """``npm``, ``pypi-wheel``, ``pypi-sdist`` or None when the tree is not a package."""
    names = pkg.sizes
    if "PKG-INFO" in names:  # an sdist's core metadata (some also ship a package.json for their JS port)
        return "pypi-sdist"
    if "package.json" in names:
        return "npm"
    if any(re.fullmatch(r"[^/]+\.dist-info/METADATA", n) for n in names):
        return "pypi-wheel"
    if any(n in names for n in ("PKG-INFO", "setup.py", "pyproject.toml", "setup.cfg")):
        return "pypi-sdist"
    if any(re.fullmatch(r"[^/]+\.egg-info/PKG-INFO", n) for n in names):
        return "pypi-sdist"
    return None


def _parse_core_metadata(text: str) -> dict[str, Any]:
    msg = HeaderParser().parsestr(text)
    out: dict[str, Any] = {}
    for key in ("Name", "Version", "Summary", "Author", "Author-email", "Maintainer", "Maintainer-email",
                "Home-page", "License", "Metadata-Version", "Requires-Python"):
        value = msg.get(key)
        if value and value.strip() and value.strip() != "UNKNOWN":
            out[key.lower()] = value.strip()
    urls = [u for u in msg.get_all("Project-URL") or [] if u]
    if urls:
        out["project_urls"] = urls[:50]
    requires = msg.get_all("Requires-Dist") or []
    if requires:
        out["requires"] = [r.strip() for r in requires][:500]
    body = msg.get_payload()
    description = msg.get("Description") or ""
    out["description_length"] = len(body if isinstance(body, str) else "") + len(description)
    return out


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _setup_py_kwargs(source: str) -> dict[str, Any]:
    """Literal keyword arguments of the setup() call (name, version, install_requires, ...)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {}
    consts: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _literal(node.value)
            if isinstance(value, str | list | tuple):
                consts[node.targets[0].id] = value
    out: dict[str, Any] = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call):
            func = call.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname != "setup":
                continue
            for kw in call.keywords:
                if kw.arg is None:
                    continue
                value = _literal(kw.value)
                if value is None and isinstance(kw.value, ast.Name):
                    value = consts.get(kw.value.id)
                if value is not None:
                    out[kw.arg] = value
                else:
                    out.setdefault("_dynamic", []).append(kw.arg)
            break
    return out


def python_metadata(pkg: PackageFiles, ecosystem: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    candidates: list[str] = []
    if ecosystem == "pypi-wheel":
        candidates = sorted(n for n in pkg.files if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
    else:
        candidates = ["PKG-INFO"] + sorted(n for n in pkg.files if re.fullmatch(r"(src/)?[^/]+\.egg-info/PKG-INFO", n))  # noqa: RUF005
    for name in candidates:
        if name in pkg.files:
            meta = _parse_core_metadata(pkg.text(name, MAX_META_BYTES))
            meta["source"] = name
            break
    if "setup.py" in pkg.files:
        kwargs = _setup_py_kwargs(pkg.text("setup.py", MAX_META_BYTES))
        for key in ("name", "version", "author", "author_email", "url", "description"):
            value = kwargs.get(key)
            if isinstance(value, str) and value and key.replace("_", "-") not in meta:
                meta[key.replace("_", "-") if key != "url" else "home-page"] = value
        requires = kwargs.get("install_requires")
        if isinstance(requires, list | tuple) and "requires" not in meta:
            meta["requires"] = [str(r) for r in requires][:500]
        if "cmdclass" in kwargs.get("_dynamic", []) or "cmdclass" in kwargs:
            meta["cmdclass"] = True
    if "pyproject.toml" in pkg.files:
        try:
            project = tomllib.loads(pkg.text("pyproject.toml", MAX_META_BYTES))
        except (tomllib.TOMLDecodeError, ValueError):
            project = {}
        proj: dict[str, Any] = project["project"] if isinstance(project.get("project"), dict) else {}
        build: dict[str, Any] = project["build-system"] if isinstance(project.get("build-system"), dict) else {}
        if proj.get("name") and "name" not in meta:
            meta["name"] = str(proj["name"])
        if isinstance(proj.get("version"), str) and "version" not in meta:
            meta["version"] = proj["version"]
        if build:
            meta["build_backend"] = str(build.get("build-backend") or "")
            backend_path = build.get("backend-path")
            if backend_path:
                meta["backend_path"] = [str(p) for p in backend_path][:10] if isinstance(backend_path, list) else []
        hook_files = _build_hook_files(project, meta.get("build_backend", ""), pkg)
        if hook_files:
            meta["build_hook_files"] = hook_files
    return meta


def _table(doc: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc if isinstance(doc, dict) else {}


def _build_hook_files(project: dict[str, Any], backend: str, pkg: PackageFiles) -> list[str]:
    """Python files the build backend runs while building the sdist on ``pip install``: hatchling's custom
    build hook (``hatch_build.py`` or its ``path``), pdm-backend's ``pdm_build.py`` (or ``custom-hook``),
    poetry-core's build script (``[tool.poetry.build] script``)."""
    found: list[str] = []
    if backend.startswith("hatchling"):
        hatch_build = _table(project, "tool", "hatch", "build")
        customs = [_table(hatch_build, "hooks", "custom")] if "custom" in _table(hatch_build, "hooks") else []
        for target in _table(hatch_build, "targets").values():
            if isinstance(target, dict) and "custom" in _table(target, "hooks"):
                customs.append(_table(target, "hooks", "custom"))
        found += [str(c.get("path") or "hatch_build.py") for c in customs]
    elif backend.startswith(("pdm.backend", "pdm.pep517")):
        found.append(str(_table(project, "tool", "pdm", "build").get("custom-hook") or "pdm_build.py"))
    elif backend.startswith("poetry"):
        build = _table(project, "tool", "poetry").get("build")
        script = build if isinstance(build, str) else build.get("script") if isinstance(build, dict) else None
        if script:
            found.append(str(script))
    return sorted({f.removeprefix("./") for f in found if f.removeprefix("./") in pkg.sizes})


def npm_metadata(pkg: PackageFiles) -> dict[str, Any]:
    try:
        doc = json.loads(pkg.text("package.json", MAX_META_BYTES))
    except (json.JSONDecodeError, ValueError):
        return {"invalid_package_json": True}
    if not isinstance(doc, dict):
        return {"invalid_package_json": True}
    meta: dict[str, Any] = {}
    for key in ("name", "version", "description", "main", "license", "homepage"):
        if isinstance(doc.get(key), str):
            meta[key] = doc[key]
    repo = doc.get("repository")
    if isinstance(repo, dict):
        repo = repo.get("url")
    if isinstance(repo, str):
        meta["repository"] = repo
    author = doc.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str):
        meta["author"] = author
    scripts = doc.get("scripts")
    if isinstance(scripts, dict):
        meta["scripts"] = {str(k): str(v) for k, v in list(scripts.items())[:200]}
    deps = {}
    for key in ("dependencies", "optionalDependencies"):
        if isinstance(doc.get(key), dict):
            deps.update({str(k): str(v) for k, v in list(doc[key].items())[:2000]})
    meta["requires"] = deps
    if isinstance(doc.get("bin"), dict | str):
        meta["bin"] = doc["bin"] if isinstance(doc["bin"], str) else dict(list(doc["bin"].items())[:50])
    entries = _entry_files(doc)
    if entries:
        meta["entry_points"] = entries
    if doc.get("gypfile") or "binding.gyp" in pkg.sizes:
        meta["gyp"] = True
    return meta


def _entry_files(doc: dict[str, Any], limit: int = 200) -> list[str]:
    """Files the package hands to its users: ``main``, ``module``, ``browser``, ``bin`` and every target in
    ``exports`` (conditions nest; walked with a bounded stack), without a leading ``./``."""
    out: list[str] = []
    stack: list[Any] = [doc.get(k) for k in ("main", "module", "browser", "bin", "exports")]
    steps = 0
    while stack and len(out) < limit and steps < 10_000:
        steps += 1
        value = stack.pop()
        if isinstance(value, str):
            if value.endswith((".js", ".cjs", ".mjs")) or "." not in value.rsplit("/", 1)[-1]:
                out.append(value.removeprefix("./"))
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(set(out))


def install_hooks(ecosystem: str, meta: dict[str, Any], pkg: PackageFiles) -> list[dict[str, Any]]:
    """What runs at install time: npm lifecycle scripts, setup.py, .pth files, custom build backends."""
    hooks: list[dict[str, Any]] = []
    if ecosystem == "npm":
        for hook in NPM_INSTALL_HOOKS:
            cmd = (meta.get("scripts") or {}).get(hook)
            if cmd:
                hooks.append({"kind": f"npm:{hook}", "command": cmd[:2000]})
        if meta.get("gyp") and not any(h["kind"] in ("npm:install", "npm:preinstall") for h in hooks):
            hooks.append({"kind": "npm:node-gyp", "command": "node-gyp rebuild (implicit: binding.gyp)"})
    else:
        if "setup.py" in pkg.sizes:
            hooks.append({"kind": "setup.py", "file": "setup.py", "cmdclass": bool(meta.get("cmdclass"))})
        for name in pkg.sizes:
            if name.endswith(".pth"):
                hooks.append({"kind": "pth", "file": name})
        if meta.get("backend_path"):
            hooks.append({"kind": "build-backend", "backend": meta.get("build_backend"), "path": meta["backend_path"]})
        for file in (meta.get("build_hook_files") or []) if ecosystem == "pypi-sdist" else []:
            hooks.append({"kind": "build-hook", "backend": meta.get("build_backend"), "file": file})
    return hooks


def metadata_for(pkg: PackageFiles, ecosystem: str) -> dict[str, Any]:
    return npm_metadata(pkg) if ecosystem == "npm" else python_metadata(pkg, ecosystem)

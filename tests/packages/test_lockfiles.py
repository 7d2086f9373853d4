"""Every supported dependency file format parses to pinned packages."""

from __future__ import annotations

import json
from pathlib import Path

from chainwatch.packages.lockfiles import parse_lockfile


def names(deps: list) -> set[tuple[str, str | None]]:  # type: ignore[type-arg]
    return {(d.name, d.version) for d in deps}


def test_requirements_with_includes_hashes_and_markers(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("urllib3==2.2.1\n")
    (tmp_path / "requirements.txt").write_text(
        "-r base.txt\n# comment\nRequests[socks]==2.31.0 ; python_version >= '3.8'\nflask>=2.0\n"
        "Django==4.2.1 \\\n  --hash=sha256:" + "a" * 64 + "\n-e .\n./local/pkg\n")
    deps = parse_lockfile(tmp_path / "requirements.txt")
    assert names(deps) == {("urllib3", "2.2.1"), ("requests", "2.31.0"), ("flask", None), ("django", "4.2.1")}
    assert next(d for d in deps if d.name == "django").integrity == "sha256:" + "a" * 64


def test_pyproject_poetry_uv_pipfile(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\ndependencies=["attrs==23.1.0", "rich>=13"]\n'
        '[tool.poetry.dependencies]\npython="^3.11"\nclick="8.1.7"\n')
    assert names(parse_lockfile(tmp_path / "pyproject.toml")) == {("attrs", "23.1.0"), ("rich", None),
                                                                   ("click", "8.1.7")}
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "idna"\nversion = "3.6"\n\n'
                                          '[[package]]\nname = "Six"\nversion = "1.16.0"\n')
    assert names(parse_lockfile(tmp_path / "poetry.lock")) == {("idna", "3.6"), ("six", "1.16.0")}
    (tmp_path / "uv.lock").write_text('version = 1\n[[package]]\nname = "app"\nversion = "0.1.0"\n'
                                      'source = { editable = "." }\n\n[[package]]\nname = "anyio"\n'
                                      'version = "4.3.0"\nsource = { registry = "https://pypi.org/simple" }\n'
                                      'sdist = { url = "https://files/anyio-4.3.0.tar.gz", hash = "sha256:ab" }\n')
    deps = parse_lockfile(tmp_path / "uv.lock")
    assert names(deps) == {("anyio", "4.3.0")} and deps[0].integrity == "sha256:ab"
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"certifi": {"version": "==2024.2.2",
                                                                               "hashes": ["sha256:cc"]}},
                                                       "develop": {"pytest": {"version": "==8.0.0"}}}))
    assert names(parse_lockfile(tmp_path / "Pipfile.lock")) == {("certifi", "2024.2.2"), ("pytest", "8.0.0")}


def test_package_lock_v1_v2_v3(tmp_path: Path) -> None:
    v1 = {"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0", "dependencies": {
        "b": {"version": "2.0.0"}}}, "c": {"version": "file:../c"}}}
    p = tmp_path / "v1" / "package-lock.json"
    p.parent.mkdir()
    p.write_text(json.dumps(v1))
    assert names(parse_lockfile(p)) == {("a", "1.0.0"), ("b", "2.0.0")}
    v3 = {"lockfileVersion": 3, "packages": {"": {"name": "root"}, "node_modules/@scope/x": {"version": "3.1.0",
          "integrity": "sha512-zz"}, "node_modules/a/node_modules/b": {"version": "2.0.1"},
          "node_modules/linked": {"link": True, "resolved": "../linked"}}}
    p = tmp_path / "v3" / "package-lock.json"
    p.parent.mkdir()
    p.write_text(json.dumps(v3))
    deps = parse_lockfile(p)
    assert names(deps) == {("@scope/x", "3.1.0"), ("b", "2.0.1")}


def test_pnpm_lock_v6_and_v9(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\npackages:\n  '@babel/core@7.24.0':\n    resolution: {integrity: sha512-aa}\n"
        "  react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: sha512-bb}\n"
        "  /lodash/4.17.21:\n    resolution: {integrity: sha512-cc}\n")
    assert names(parse_lockfile(tmp_path / "pnpm-lock.yaml")) == {("@babel/core", "7.24.0"),
                                                                   ("react-dom", "18.2.0"), ("lodash", "4.17.21")}


def test_yarn_lock_classic_and_berry(tmp_path: Path) -> None:
    classic = ('# yarn lockfile v1\n\n"@types/node@^20.0.0", "@types/node@^20.1.0":\n  version "20.11.5"\n'
               '  resolved "https://registry.yarnpkg.com/@types/node/-/node-20.11.5.tgz#abc"\n'
               '  integrity sha512-xyz\n\nleft-pad@^1.3.0:\n  version "1.3.0"\n')
    p = tmp_path / "a" / "yarn.lock"
    p.parent.mkdir()
    p.write_text(classic)
    assert names(parse_lockfile(p)) == {("@types/node", "20.11.5"), ("left-pad", "1.3.0")}
    berry = ('__metadata:\n  version: 8\n\n"debug@npm:^4.3.4":\n  version: 4.3.4\n'
             '  resolution: "debug@npm:4.3.4"\n  checksum: 10/abc\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n'
             '  resolution: "app@workspace:."\n')
    p = tmp_path / "b" / "yarn.lock"
    p.parent.mkdir()
    p.write_text(berry)
    assert names(parse_lockfile(p)) == {("debug", "4.3.4")}

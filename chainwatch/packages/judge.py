"""Signals -> findings: capability alone stays quiet, capability with intent and reach speaks.

Severity policy (the engine: any high => at least suspicious, any critical => malicious, mediums add up):

* info/low - a capability by itself: spawns processes, reads env vars, talks to the network, ships a
  binary, decodes base64, mentions ~/.ssh. Popular packages do all of these.
* medium - a name that imitates a popular package; odd combinations at run time.
* high - reach without proof of harm: install-time network or dynamic exec, obfuscator output executed,
  shady endpoints in code that runs on install/import, persistence writes, stealer-shaped code; and
  call-only payloads (code that runs when a function is called) with intent no library needs: fetched
  code executed, a program downloaded and started, decoded commands or shipped blobs executed, data
  posted to tunnel/paste/raw-IP/free-app-hosting hosts.
* critical - intent: a source flowing to a network sink, fetched or decoded code executed, downloader
  commands at install time, hard-coded bot/webhook tokens, hidden code found only after decoding.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from chainwatch.models import Finding, Severity
from chainwatch.packages import indicators as ind
from chainwatch.packages import signals as sg
from chainwatch.packages.analyze import SHELL_EXT, PackageFacts
from chainwatch.packages.pyscan import TEST_PATH_RE
from chainwatch.packages.signals import Signal

C, H, M, L, I = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO  # noqa: E741
REACH = (sg.INSTALL, sg.IMPORT)
STEALER_STORES = {"browser-store", "discord-token-store", "crypto-wallet", "messenger-session", "ftp-game-clients"}
STRONG_SOURCES = {"credential", "env-dump", "clipboard", "screenshot"}
RULE_ATTACK = {
    "package.clipboard-hijack": "T1115",
    "package.exfiltration": "T1041", "package.download-exec": "T1105", "package.decoded-exec": "T1027",
    "package.install-downloader": "T1059", "package.bot-token-endpoint": "T1567", "package.persistence": "T1547",
    "package.stealer": "T1555", "package.typosquat": "T1195.001", "package.obfuscated-code": "T1027",
    "package.install-network": "T1195.002", "package.install-exec": "T1195.002", "package.shady-endpoint": "T1071",
    "package.hidden-code": "T1027", "package.import-process": "T1059", "package.surveillance": "T1056", "package.install-beacon": "T1082", "package.dependency-typosquat": "T1195.001",  # noqa: E501
    "package.call-only-payload": "T1195.002", "package.runs-shipped-binary": "T1204.002",
    "package.remote-dependency": "T1195.001", "package.malicious-pickle": "T1059.006",
    "package.bin-hijack": "T1574",
}
MESSAGES = {
    "package.exfiltration": "data from {sources} flows to a network call ({phase} time)",
    "package.download-exec": "downloads code or a program and runs it ({phase} time)",
    "package.decoded-exec": "executes code it decodes or decrypts in place ({phase} time)",
    "package.install-downloader": "runs a download-and-execute command or opens a remote shell ({phase} time)",
    "package.bot-token-endpoint": "hard-coded {category} URL with its secret token: a private exfiltration channel",
    "package.hidden-code": "code that only appears after decoding a literal does {what} ({phase} time)",
    "package.stealer": "reads {stores} and talks to the network: credential-stealer shape",
    "package.install-network": "makes network requests while installing",
    "package.install-exec": "executes dynamically built code while installing",
    "package.install-beacon": "collects host identity and talks to the network at install time",
    "package.obfuscated-code": "obfuscated code ({how}) that runs on {phase}",
    "package.persistence": "writes to a startup/persistence location ({place})",
    "package.shady-endpoint": "contacts a {category} endpoint ({host}) from code that runs on {phase}",
    "package.typosquat": "name {name!r} imitates the popular package {target!r} ({how})",
    "package.dependency-typosquat": "depends on {dependency!r}, a name imitating {target!r}",
    "package.remote-dependency": "depends on {dependency!r} fetched from {spec} instead of the registry: code no "
                                 "registry scan has seen runs at install",
    "package.install-hook": "runs code at install time ({hook})",
    "package.bin-hijack": "installs a command named {bin!r} that runs {file}: it shadows the real {bin} for "
                          "whoever runs it after this install",
    "package.embedded-executable": "ships a {format} executable in a source package",
    "package.malicious-pickle": "ships a pickle ({file}) that calls {call} when it is loaded",
    "package.runs-shipped-binary": "starts the {format} executable it ships ({binary}){how} from code that "
                                   "runs on {phase}",
    "package.odd-version": "version {version} looks like a placeholder or dependency-confusion upload ({why})",
    "package.empty-metadata": "package has no description, home page or repository",
    "package.capability": "uses {kinds}",
    "package.clipboard-hijack": "reads the clipboard and writes it back when {phase} runs ({wallets} wallet "
                                "address(es) in the code): clipper shape",
    "package.text-only": "{count} code file(s) got the text-only pass (string literals and file-level markers, "
                         "no call resolution): {first}",
    "package.runtime-risk": "{what} in a function that only runs when called",
    "package.import-process": "runs a suspicious command when installed or imported ({command})",
    "package.surveillance": "captures {what}: spyware shape",
    "package.call-only-payload": "{what}, in code that runs when a function of the package is called",
}


def _ev(s: Signal) -> dict[str, Any]:
    out: dict[str, Any] = {"file": s.file, "line": s.line, "snippet": s.snippet, "phase": s.phase}
    if s.detail:
        out["detail"] = s.detail
    if s.decoded:
        out["decoded_depth"] = s.decoded
    return out


def _in_tests(s: Signal) -> bool:
    """Tests, docs and examples, and run-time code of an sdist's folders the build does not install
    (``not_installed``): code that runs only on a maintainer's machine."""
    return bool(s.file and TEST_PATH_RE.search(s.file)) or (s.phase == sg.RUNTIME
                                                            and bool(s.detail.get("not_installed")))


class _Out:
    def __init__(self, base: str) -> None:
        self.base = base
        self.items: dict[str, tuple[Severity, str, list[Signal], dict[str, Any]]] = {}

    def add(self, rule: str, severity: Severity, signals: Iterable[Signal], **fields: Any) -> None:
        sigs = list(signals)
        cur = self.items.get(rule)
        if cur and cur[0] >= severity:
            return
        self.items[rule] = (severity, MESSAGES[rule].format_map(_Default(fields)), sigs, fields)

    def findings(self) -> list[Finding]:
        out = []
        for rule, (severity, message, sigs, fields) in self.items.items():
            first = sigs[0] if sigs else None
            path = self.base
            if first is not None and first.file:
                path = f"{self.base}/{first.file}" if self.base else first.file
            evidence: dict[str, Any] = {"signals": [_ev(s) for s in sigs[:8]]}
            if len(sigs) > 8:
                evidence["more_signals"] = len(sigs) - 8
            if first is not None:
                evidence.update({"file": first.file, "line": first.line, "snippet": first.snippet})
            evidence.update({k: v for k, v in fields.items() if isinstance(v, str | int | float | list)})
            out.append(Finding(rule=rule, severity=severity, path=path, message=message, evidence=evidence,
                               attack=RULE_ATTACK.get(rule)))
        return out


# words too common in package names to tie an environment variable to one package
_GENERIC_NAME_WORDS = frozenset(("node", "python", "client", "local", "core", "utils", "tools", "plugin", "server",
                                 "http", "https", "test", "types", "sdk", "api", "cli", "lib", "auth", "token",
                                 "secret", "config", "cloud", "data", "common", "js", "py"))


def _own_names(package: str | None, names: Any) -> bool:
    """Whether every secret variable read is named after the package (``BROWSERSTACK_LOCAL_AUTH_TOKEN``
    in browserstack-local): the package's own credential, configured for it and sent to its service.
    A stealer reads the secrets other tools keep (``NPM_TOKEN``, ``AWS_*``, ``GITHUB_TOKEN``)."""
    if not package or not isinstance(names, list) or not names:
        return False
    words = {w for w in re.split(r"[^a-z0-9]+", package.lower()) if len(w) >= 4 and w not in _GENERIC_NAME_WORDS}
    return bool(words) and all(words & set(re.split(r"[^a-z0-9]+", str(n).lower())) for n in names)


class _Default(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


def judge(facts: PackageFacts, base_path: str = "") -> list[Finding]:
    """Findings for one package, from its facts alone (no network)."""
    out = _Out(base_path)
    by_kind: dict[str, list[Signal]] = defaultdict(list)
    for s in facts.signals:
        by_kind[s.kind].append(s)

    def live(kind: str, phases: tuple[str, ...] = REACH, tests: bool = False) -> list[Signal]:
        return [s for s in by_kind.get(kind, []) if s.phase in phases and (tests or not _in_tests(s))]

    # --- critical: intent
    for s in by_kind.get(sg.EXFIL_FLOW, []):
        sources = set(s.detail.get("sources") or [])
        phase_reach = s.phase in REACH
        if _in_tests(s):
            continue
        own_token = sources == {"env-secret"} and _own_names(facts.name, s.detail.get("env"))
        if sources & STRONG_SOURCES or (phase_reach and "env-secret" in sources and not own_token):
            out.add("package.exfiltration", C, [s], sources=", ".join(sorted(sources)), phase=s.phase)
        elif "env-secret" in sources:  # an API token sent to its API: the normal use of a token
            out.add("package.exfiltration", L, [s], sources=", ".join(sorted(sources)), phase=s.phase)
        elif phase_reach:
            out.add("package.install-beacon" if s.phase == sg.INSTALL else "package.exfiltration",
                    C if s.phase == sg.INSTALL else H, [s], sources=", ".join(sorted(sources)), phase=s.phase)
    for kind in (sg.DOWNLOAD_EXEC, sg.WRITE_EXEC):
        sigs = [s for s in by_kind.get(kind, []) if not _in_tests(s)]
        # a build fetching its toolchain from the vendor's release site runs the vendor's program
        reach = [s for s in sigs if s.phase in REACH and not s.detail.get("official")]
        if reach:
            out.add("package.download-exec", C, reach, phase=reach[0].phase)
        elif sigs:  # tools that fetch and run on request, and official toolchains
            out.add("package.download-exec", L, sigs, phase=sigs[0].phase)
    dec_exec = list(by_kind.get(sg.EXEC_DECODED, []))  # payloads hide in test folders too (event-stream)
    if dec_exec:
        reach = [s for s in dec_exec if s.phase in REACH and not _in_tests(s)]
        wallet = [s for s in dec_exec if s.detail.get("what") == "wallet-hijack"]
        loader = [s for s in live(sg.EXEC_DYNAMIC) if "module" in str(s.detail.get("how", ""))]
        sev = C if reach or wallet or loader else L
        out.add("package.decoded-exec", sev, reach or dec_exec, phase=(reach or dec_exec)[0].phase)
    downloaders = [s for s in by_kind.get(sg.PROCESS_DOWNLOADER, []) if not _in_tests(s)
                   and s.detail.get("how") != "mentioned"]
    if downloaders:
        inst = [s for s in downloaders if s.phase == sg.INSTALL]
        imp = [s for s in downloaders if s.phase == sg.IMPORT]
        # at run time: shapes no tool needs (certutil/bitsadmin downloads are not among them: load-test and
        # admin tools hand such commands to remote Windows machines)
        strong = [s for s in downloaders if s.detail.get("pattern") in ("reverse-shell", "powershell-encoded",
                                                                       "crypto-miner", "bot-remote-shell",
                                                                       "defense-evasion")]
        if inst:
            out.add("package.install-downloader", C, inst, phase=sg.INSTALL)
        elif imp and any(s.detail.get("pattern") != "powershell-iex" for s in imp):
            blinding = any(s.detail.get("pattern") == "defense-evasion" for s in imp)  # no library does it
            out.add("package.install-downloader", C if blinding else H, imp, phase=sg.IMPORT)
        elif strong:
            out.add("package.install-downloader", M, strong, phase=strong[0].phase)
    # a program started at install with a drop host among its arguments (pip install --index-url
    # http://<ip>/simple, a fetcher handed the URL): the command is not spelled out in the code, the host is
    started = {(s.file, s.line) for s in by_kind.get(sg.PROCESS, []) if s.phase == sg.INSTALL and not _in_tests(s)}
    pointed = [s for s in by_kind.get(sg.ENDPOINT, []) if s.phase == sg.INSTALL and (s.file, s.line) in started
               and _drop_host(s, ("raw-ip", "tunnel", "paste", "file-hosting", "oast"))]
    if pointed:
        out.add("package.install-downloader", C, pointed, phase=sg.INSTALL)
    tokens = [s for s in by_kind.get(sg.ENDPOINT_TOKEN, []) if not _in_tests(s)]
    if tokens:
        out.add("package.bot-token-endpoint", C, tokens, category=tokens[0].detail.get("category", "webhook"))
    hidden = [s for s in facts.signals if s.decoded and s.kind in (sg.NETWORK, sg.PROCESS, sg.EXEC_DYNAMIC,
                                                                   sg.EXEC_DECODED, sg.DOWNLOAD_EXEC, sg.ENDPOINT,
                                                                   sg.SOURCE_CREDENTIAL, sg.PERSISTENCE)
              and not _in_tests(s) and (s.kind == sg.ENDPOINT or not s.detail.get("runs_in"))]
    if hidden:
        what = ", ".join(sorted({s.kind for s in hidden}))
        reach = [s for s in hidden if s.phase in REACH]
        out.add("package.hidden-code", C if reach else L, reach or hidden, what=what,
                phase=(reach or hidden)[0].phase)

    _call_only_payloads(facts, by_kind, out)

    # --- stealer shape: several secret stores and a network path
    creds = [s for s in by_kind.get(sg.SOURCE_CREDENTIAL, []) if not _in_tests(s)]
    stores = {str(s.detail.get("store")) for s in creds}
    steal_stores = stores & STEALER_STORES
    has_net = bool(by_kind.get(sg.NETWORK) or by_kind.get(sg.NETWORK_SEND) or by_kind.get(sg.ENDPOINT)
                   or by_kind.get(sg.ENDPOINT_TOKEN))
    # one store is enough when the file that reads it at install or import also names a drop point
    # (a webhook, paste, tunnel, callback or raw-IP host): the copy-then-query idiom of browser stealers
    # (copy Login Data, open the copy) breaks the data flow, not the shape
    drops = {s.file for s in live(sg.ENDPOINT) + live(sg.ENDPOINT_TOKEN)
             if s.kind == sg.ENDPOINT_TOKEN or _drop_host(s, SHADY_DROP)}
    dropped = [s for s in creds if s.detail.get("store") in steal_stores and s.phase in REACH and s.file in drops]
    if steal_stores and has_net:
        sev = C if len(steal_stores) >= 2 or "discord-token-store" in steal_stores or dropped else L
        out.add("package.stealer", sev, dropped or [s for s in creds if s.detail.get("store") in steal_stores],
                stores=", ".join(sorted(steal_stores)))
    elif "secret-scanner" in stores and has_net:
        out.add("package.stealer", H, [s for s in creds if s.detail.get("store") == "secret-scanner"],
                stores="secrets found by a secret-scanning tool")

    # --- high: reach
    npm = facts.ecosystem == "npm"  # npm install scripts fetch platform binaries and run helpers honestly
    inst_net = live(sg.NETWORK, (sg.INSTALL,))
    if inst_net:
        # fetching files (fonts, the binary a wrapper ships) is what build steps do; sending data, DNS
        # lookups and raw sockets at install are what beacons do
        fetch_only = not live(sg.NETWORK_SEND, (sg.INSTALL,)) and not live(sg.EXFIL_FLOW, (sg.INSTALL,)) and all(
            str(s.detail.get("api") or "").endswith(FETCH_APIS) for s in inst_net)
        out.add("package.install-network", L if npm or fetch_only else H, inst_net)
    inst_exec = live(sg.EXEC_DYNAMIC, (sg.INSTALL,))
    if inst_exec:
        out.add("package.install-exec", L if npm else H, inst_exec)
    # the working directory alone is no identity (setup.py finds its files with it)
    inst_sys = [s for s in live(sg.SOURCE_SYSINFO, (sg.INSTALL,)) if s.detail.get("api") != "os.getcwd"]
    if inst_sys and (inst_net or live(sg.NETWORK_SEND, (sg.INSTALL,))):
        out.add("package.install-beacon", C, inst_sys + inst_net, phase=sg.INSTALL)
    obf = live(sg.OBF_ALIAS) + live(sg.OBF_OBFUSCATOR) + live(sg.OBF_UNICODE, (sg.INSTALL,))
    if obf:
        how = obf[0].detail.get("how") or obf[0].detail.get("tool") or obf[0].detail.get("what") or "obfuscation"
        out.add("package.obfuscated-code", H, obf, how=how, phase=obf[0].phase)
    else:
        obf_rt = [s for s in by_kind.get(sg.OBF_OBFUSCATOR, []) if not _in_tests(s)]
        if obf_rt:
            out.add("package.obfuscated-code", M, obf_rt, how=obf_rt[0].detail.get("tool", "obfuscator"),
                    phase=obf_rt[0].phase)
    # a CI workflow written at run time is what project generators do; at install or import it is not
    persist = [s for s in by_kind.get(sg.PERSISTENCE, []) if not _in_tests(s) and s.detail.get("how") != "mentioned"
               and (s.detail.get("place") != "ci-workflow" or s.phase in REACH)]
    if persist:
        # at run time, a line added to the user's shell profile is how installers and CLI tools set PATH,
        # completions and variables up (rustup, conda init, a tool's init script): low, not a verdict
        reached = any(s.phase in REACH for s in persist)
        profile_only = all(s.detail.get("place") == "shell-profile" for s in persist)
        # a deployment script shipped beside the code (deploy/*.sh enabling a systemd timer) runs when an
        # operator runs it; nothing in the package starts it
        scripts_only = all(s.file.endswith(SHELL_EXT) for s in persist)
        # a registry write whose key is not known statically, in a function of the package (a settings store):
        # autostart keys are named where they are used, so only a known key is persistence by itself
        unknown_keys = all(not s.detail.get("place") and str(s.detail.get("api", "")).startswith(REGISTRY_APIS)
                           for s in persist)
        low = profile_only or scripts_only or unknown_keys
        out.add("package.persistence", H if reached else L if low else M, persist,
                place=persist[0].detail.get("place", "?"))
    # a paste or file-hosting address in a module's data (a site table, a test fixture) is fetched by
    # nothing on import unless that file can fetch or run something
    acting = {s.file for s in facts.signals if s.kind in (sg.NETWORK, sg.PROCESS, sg.EXEC_DYNAMIC, sg.EXEC_DECODED,
                                                           sg.DOWNLOAD_EXEC, sg.WRITE_EXEC)}
    # a chat API's base address with no token in it (a bot library's default, ``https://api.telegram.org/bot``)
    # is a channel only in a file that talks to the network
    talking = {s.file for s in facts.signals if s.kind in (sg.NETWORK, sg.NETWORK_SEND, sg.EXFIL_FLOW)}
    shady = [s for s in live(sg.ENDPOINT) if s.detail.get("category") not in ("shortener", "app-hosting")
             and (s.phase == sg.INSTALL or s.detail.get("category") in ("oast", "tunnel")
                  or (s.detail.get("category") == "webhook" and s.file in talking)
                  or (s.detail.get("category") in ("paste", "file-hosting") and s.file in acting))]
    # a callback host whose name is built by the shell from the machine ($(whoami).x.oast.fun): the lookup
    # itself carries the user and host names out, the dependency-confusion recon beacon
    named_by_shell = [s for s in shady if s.phase in REACH
                      and ind.SUBSTITUTION_RE.search(str(s.detail.get("host") or ""))]
    if named_by_shell:
        s0 = named_by_shell[0]
        out.add("package.install-beacon", C, named_by_shell, sources="machine data in a DNS name",
                phase=s0.phase)
    if shady:
        s0 = shady[0]
        out.add("package.shady-endpoint", H, shady, category=s0.detail.get("category"), host=s0.detail.get("host"),
                phase=s0.phase)
    long_lines = live(sg.OBF_LONG_LINE, (sg.INSTALL, sg.IMPORT))
    if long_lines and any(s.detail.get("indent", 0) > 150 for s in long_lines):
        out.add("package.obfuscated-code", H, long_lines, how="code pushed off-screen by whitespace",
                phase=long_lines[0].phase)

    odd_proc = [s for s in live(sg.PROCESS) if s.detail.get("suspicious_command")]
    if odd_proc:
        out.add("package.import-process", H, odd_proc, phase=odd_proc[0].phase,
                command=str(odd_proc[0].detail.get("command", ""))[:120])
    clip = [s for s in by_kind.get(sg.SOURCE_CLIPBOARD, []) if not _in_tests(s) and not s.detail.get("what")]
    clip_writes = [s for s in clip if s.detail.get("write")]
    if clip_writes and len(clip) > len(clip_writes) and any(s.phase in REACH for s in clip):
        wallets = max(int(s.detail.get("wallets") or 0) for s in clip_writes)
        out.add("package.clipboard-hijack", C if wallets else H, clip, wallets=wallets,
                phase=next(s.phase for s in clip if s.phase in REACH))
    spy = {s.detail.get("what") or s.kind for s in facts.signals
           if s.kind in (sg.SOURCE_CLIPBOARD, sg.SOURCE_SCREEN) and not _in_tests(s)}
    # keystrokes recorded by code that runs at install or import, in a file that also sends data out
    keys = [s for s in live(sg.SOURCE_CLIPBOARD) if s.detail.get("what") == "keystrokes"]
    senders = {s.file for s in live(sg.NETWORK_SEND) + live(sg.EXFIL_FLOW)}
    keylog = [s for s in keys if s.file in senders]
    if keylog:
        out.add("package.surveillance", C, keylog + [s for s in live(sg.NETWORK_SEND) if s.file == keylog[0].file],
                what="keystrokes, sent out by the same file", phase=keylog[0].phase)
    elif len(spy) >= 2:
        # a screen grab and a clipboard read are features of imaging and automation libraries (imageio reads
        # "<screen>" and "<clipboard>"); spyware records keys, the webcam or the microphone as well, or
        # ships what it captured: at install or import, or from a file that sends data out or holds a bot
        # token
        captures = [s for s in facts.signals if s.kind in (sg.SOURCE_CLIPBOARD, sg.SOURCE_SCREEN)]
        shipping = senders | {s.file for s in by_kind.get(sg.ENDPOINT_TOKEN, [])}
        if spy & {"keystrokes", "webcam", "microphone"} or any(
                s.phase in REACH or s.file in shipping for s in captures if not _in_tests(s)):
            out.add("package.surveillance", H, captures, what=", ".join(sorted(spy)))

    # --- medium: names
    for s in by_kind.get(sg.META_TYPOSQUAT, []):
        code_at_install = bool(live(sg.NETWORK, (sg.INSTALL,)) or live(sg.PROCESS, (sg.INSTALL,)))
        # A scoped copy (@org/esbuild) is typed with its scope on purpose and is how organisations publish
        # their forks: one step weaker than a look-alike name that catches a typo.
        scoped_copy = str(s.detail.get("how", "")).startswith("scoped copy")
        severity = (M if code_at_install else L) if scoped_copy else (H if code_at_install else M)
        out.add("package.typosquat", severity, [s], name=facts.name or s.snippet,
                target=s.detail.get("target"), how=s.detail.get("how"))
    for s in by_kind.get(sg.DEP_REMOTE, [])[:1]:
        # a tarball from an arbitrary host installs code no registry holds; git repositories are how forks
        # are pinned, so they stay low unless nothing else in the package is ordinary
        tarball = [r for r in by_kind[sg.DEP_REMOTE] if r.detail.get("tarball")]
        if tarball:
            shady = [r for r in tarball if r.detail.get("category") in SHADY_DROP]
            out.add("package.remote-dependency", C if shady else H, shady or tarball,
                    dependency=(shady or tarball)[0].detail.get("dependency"),
                    spec=(shady or tarball)[0].detail.get("spec"))
        else:
            out.add("package.remote-dependency", L, by_kind[sg.DEP_REMOTE], dependency=s.detail.get("dependency"),
                    spec=s.detail.get("spec"))
    for s in by_kind.get(sg.DEP_SUSPICIOUS, []):  # reordered words of a popular name: nobody picks that by accident
        out.add("package.dependency-typosquat", M if s.detail.get("how") == "same words in another order" else L, [s],
                dependency=s.detail.get("dependency"), target=s.detail.get("target"))

    # --- low / info: capabilities, kept for context
    for s in by_kind.get(sg.META_BIN_SHADOW, [])[:1]:
        out.add("package.bin-hijack", H, by_kind[sg.META_BIN_SHADOW], bin=s.detail.get("bin"),
                file=s.detail.get("file"))
    for s in by_kind.get(sg.INSTALL_HOOK, [])[:1]:
        out.add("package.install-hook", L if not s.detail.get("common_build_step") else I, by_kind[sg.INSTALL_HOOK],
                hook=s.detail.get("hook"))
    pickled = by_kind.get(sg.PICKLE_CALL, [])
    if pickled:  # no data needs os.system or exec to be rebuilt: loading it runs the payload
        out.add("package.malicious-pickle", C, pickled, call=pickled[0].detail.get("call"), file=pickled[0].file)
    for s in by_kind.get(sg.RUN_SHIPPED, [])[:1]:  # a dropper that brought its payload along
        # through rundll32/regsvr32 (proxy execution by a signed program) no installer has a reason to
        out.add("package.runs-shipped-binary", C if s.detail.get("proxy") else H,
                [s, *[b for b in by_kind.get(sg.BINARY, []) if b.file == s.detail.get("binary")]],
                format=s.detail.get("format"), binary=s.detail.get("binary"), phase=s.phase,
                how=f" through {s.detail['proxy']}" if s.detail.get("proxy") else "")
    bins = [s for s in by_kind.get(sg.BINARY, []) if s.detail.get("source_package") and
            not s.detail.get("extension_module")]
    if bins:
        out.add("package.embedded-executable", L, bins, format=bins[0].detail.get("format"))
    for s in by_kind.get(sg.META_ODD_VERSION, []):
        out.add("package.odd-version", L, [s], version=s.snippet, why=s.detail.get("why"))
    if by_kind.get(sg.META_EMPTY):
        out.add("package.empty-metadata", L if facts.code_files <= 2 else I, by_kind[sg.META_EMPTY])
    caps = sorted({s.kind for s in facts.signals if s.kind in (sg.NETWORK, sg.PROCESS, sg.EXEC_DYNAMIC,
                                                               sg.SOURCE_ENV_SECRET, sg.SOURCE_ENV_DUMP,
                                                               sg.SOURCE_SYSINFO, sg.OBF_DECODED,
                                                               sg.SOURCE_CREDENTIAL)})
    if caps:
        out.add("package.capability", I, [s for s in facts.signals if s.kind in caps][:8], kinds=", ".join(caps))
    if facts.text_only:  # say how deep the look went, so a clean verdict is read for what it covers
        out.add("package.text-only", I, [], count=len(facts.text_only), first=facts.text_only[0],
                files=facts.text_only[:20])
    return out.findings()


# calls that fetch a URL's content: setup.py downloading fonts or a release binary (one given a body is a
# send, net.send, and keeps install-network high)
FETCH_APIS = ("urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.build_opener",
              "urllib.request.Request", "requests.get", "requests.head", "httpx.get", "urllib2.urlopen")
REGISTRY_APIS = ("winreg.", "_winreg.")
SHADY_DROP = ("paste", "file-hosting", "tunnel", "raw-ip", "oast", "webhook")
# public resolvers and their DNS-over-HTTPS endpoints: raw IPs that honest clients post to
PUBLIC_RESOLVERS = {"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222",
                    "208.67.220.220", "94.140.14.14", "2606:4700:4700::1111", "2001:4860:4860::8888"}


def _drop_host(s: Signal, categories: tuple[str, ...]) -> bool:
    return s.detail.get("category") in categories and s.detail.get("host") not in PUBLIC_RESOLVERS
HIDDEN_INTENT = (sg.DOWNLOAD_EXEC, sg.WRITE_EXEC, sg.PROCESS_DOWNLOADER, sg.EXFIL_FLOW, sg.ENDPOINT_TOKEN)


def _call_only_payloads(facts: PackageFacts, by_kind: dict[str, list[Signal]], out: _Out) -> None:
    """Payloads that wait in a function the victim calls: runtime phase, but with intent no library needs.

    Capability at run time stays quiet (installers fetch and run tools, clients post data). These speak:
    Python code fetched and executed, a Windows program downloaded and started, fetch-and-run against
    a paste/tunnel/file-hosting/raw-IP host, and behaviour that only shows after decoding a literal.
    """
    def runtime(kind: str) -> list[Signal]:
        return [s for s in by_kind.get(kind, []) if s.phase == sg.RUNTIME and not _in_tests(s)]

    shady_files = {s.file for s in by_kind.get(sg.ENDPOINT, []) if _drop_host(s, SHADY_DROP) and not _in_tests(s)}
    fetch_run = runtime(sg.DOWNLOAD_EXEC) + runtime(sg.WRITE_EXEC)
    code_exec = [s for s in fetch_run if s.detail.get("how") == "network response executed as code"]
    program = [s for s in fetch_run if s.detail.get("program")]
    shady = [s for s in fetch_run if s.file in shady_files]
    if code_exec or program or shady:
        sigs = code_exec or program or shady
        out.add("package.call-only-payload", H, sigs, phase=sg.RUNTIME,
                what="executes Python code it downloads" if code_exec else
                f"downloads and starts the program {program[0].detail['program']!r}" if program else
                "downloads from a paste, tunnel, file-hosting or raw-IP host and runs it")
    hidden = [s for s in facts.signals if s.decoded and s.phase == sg.RUNTIME and not _in_tests(s)
              and (s.kind in HIDDEN_INTENT or (s.kind == sg.ENDPOINT and s.detail.get("category") in SHADY_DROP))]
    if hidden:
        out.add("package.call-only-payload", H, hidden, phase=sg.RUNTIME,
                what=f"hides {', '.join(sorted({s.kind for s in hidden}))} in an encoded or string literal")
    revealed = {(s.file, s.line) for s in facts.signals if s.decoded and s.kind in (sg.NETWORK, sg.PROCESS)}
    dec_exec = [s for s in runtime(sg.EXEC_DECODED) if s.detail.get("blob") or (s.file, s.line) in revealed
                or s.detail.get("how") == "decoded data passed to a process"]
    if dec_exec:
        s0 = dec_exec[0]
        out.add("package.call-only-payload", H, dec_exec, phase=sg.RUNTIME,
                what="runs a command it decodes first" if s0.detail.get("how") else
                f"executes code decoded from the shipped blob {s0.detail['blob']}" if s0.detail.get("blob") else
                "executes decoded code that talks to the network or starts processes")
    sends = {(s.file, s.line) for s in by_kind.get(sg.NETWORK_SEND, []) + by_kind.get(sg.EXFIL_FLOW, [])}
    drops = [s for s in runtime(sg.ENDPOINT) if _drop_host(s, ("tunnel", "oast", "raw-ip", "paste"))
             and (s.file, s.line) in sends]
    if drops:
        out.add("package.call-only-payload", H, drops, phase=sg.RUNTIME,
                what=f"sends data to a {drops[0].detail.get('category')} host ({drops[0].detail.get('host')})")
    drop_hosts = {(s.file, s.line): s for s in by_kind.get(sg.ENDPOINT, [])
                  if _drop_host(s, ("app-hosting", "tunnel", "oast", "raw-ip", "paste", "file-hosting"))}
    leaks = [s for s in runtime(sg.EXFIL_FLOW) if (s.file, s.line) in drop_hosts]
    if leaks:
        host = drop_hosts[(leaks[0].file, leaks[0].line)]
        out.add("package.call-only-payload", H, leaks, phase=sg.RUNTIME,
                what=f"sends {', '.join(leaks[0].detail.get('sources') or [])} to a {host.detail.get('category')} "
                     f"host ({host.detail.get('host')})")
    send_files = {f for f, _ in sends}
    raw_ip = [s for s in by_kind.get(sg.ENDPOINT, []) if s.phase == sg.IMPORT and not _in_tests(s)
              and _drop_host(s, ("raw-ip",)) and s.file in send_files]
    if raw_ip:
        out.add("package.shady-endpoint", H, raw_ip, category="raw-IP", host=raw_ip[0].detail.get("host"),
                phase=sg.IMPORT)


def verdict_of(findings: list[Finding]) -> str:
    """The engine's verdict for these findings alone (``chainwatch.scoring``)."""
    from chainwatch.scoring import score_findings

    return score_findings(findings)[2].value


def is_flagged(findings: list[Finding]) -> bool:
    return verdict_of(findings) != "clean"


_ = re  # kept for rule helpers that match detail text

"""JavaScript analysis with tree-sitter: capabilities, sources, sinks and flows, by phase.

Same signal vocabulary as ``pyscan``. Resolves ``require``/``import`` aliases (``const {exec} =
require('child_process')``), folds string concatenations and hex/base64 helpers, follows names assigned
from sources within a function, and recognises javascript-obfuscator output, module-compile tricks
(``new module.constructor()._compile``) and wallet-hijack code (provider / fetch / XHR hooks next to
many wallet addresses).
"""

from __future__ import annotations

import bisect
import re
from functools import cache
from typing import Any

from chainwatch.packages import decode as dec
from chainwatch.packages import indicators as ind
from chainwatch.packages import signals as sg
from chainwatch.packages.signals import Signal

MAX_JS = 6 * 1024 * 1024
MAX_NODES = 2_000_000

PROCESS = {"child_process.exec", "child_process.execSync", "child_process.spawn", "child_process.spawnSync",
           "child_process.execFile", "child_process.execFileSync", "child_process.fork", "shelljs.exec",
           "execa", "execa.command", "cross-spawn", "process.binding", "process.dlopen"}
# the internal bindings that start processes: process.binding('spawn_sync') is child_process without the name
SPAWN_BINDINGS = ("spawn_sync", "process_wrap")
NETWORK = {"http.request", "http.get", "https.request", "https.get", "fetch", "node-fetch", "axios", "axios.get",
           "axios.post", "axios.put", "axios.request", "request", "request.post", "request.get", "got", "got.post",
           "net.connect", "net.createConnection", "net.Socket", "tls.connect", "dgram.createSocket",
           "XMLHttpRequest", "WebSocket", "ws", "needle", "superagent", "undici.request", "undici.fetch",
           "http2.connect", "ftp", "nodemailer.createTransport", "socket.io-client", "socket.io-client.io",
           "socket.io-client.connect", "engine.io-client", "ws.WebSocket"}
MAX_CODE_ARRAY = 100_000
MAX_VALUE_PARTS = 3000  # nodes of one value read for its labels
MAX_HELD_PARTS = 200_000  # value nodes kept between the taint passes of one file
REQUIRE_FORMS = frozenset({"require", "import", "module.require", "process.mainModule.require", "require.main.require",
                           "global.require", "globalThis.require"})
DNS = {"dns.lookup", "dns.resolve", "dns.resolve4", "dns.resolveTxt", "dns.promises.resolve", "dns.resolveAny"}
EXEC = {"eval", "Function", "vm.runInNewContext", "vm.runInThisContext", "vm.runInContext", "vm.Script",
        "vm.compileFunction", "setTimeout:string", "setInterval:string"}
SYSINFO = {"os.hostname", "os.userInfo", "os.networkInterfaces", "os.homedir", "os.platform", "os.type",
           "os.release", "os.arch", "os.cpus", "os.tmpdir"}
SYSINFO_IDENTITY = {"os.hostname", "os.userInfo", "os.networkInterfaces"}
SECRET_ENV_RE = re.compile(r"(?i)(?:token|secret|passw|api[_-]?key|credential|private[_-]?key|"
                           rf"npm_{ind.NPM_NOT_A_SECRET}config|"
                           r"npm_token|github_|gh_|access[_-]?key|session|auth)")
# the literal first, then the boundary before it: the engine then jumps between "_0x" occurrences instead
# of testing a word boundary at every byte (same matches as ``\b_0x[0-9a-f]{4,6}\b``, ~8x faster)
OBF_IDENT_RE = re.compile(rb"_0x(?<!\w_0x)[0-9a-f]{4,6}\b")
WALLET_RES = ind.WALLET_RES
HOOK_RE = re.compile(rb"(?:XMLHttpRequest\.prototype\.(?:open|send)\s*=|window\.fetch\s*=|globalThis\.fetch\s*=|"
                     rb"window\.ethereum|ethereum\.request|solana\.(?:signTransaction|signAndSendTransaction)|"
                     rb"eth_sendTransaction)")
HOOK_NEEDLES = (b"XMLHttpRequest", b".fetch", b"ethereum", b"solana.", b"eth_sendTransaction")  # one per branch
# what a wallet hijacker does and a wallet connector does not: it replaces the transport or the provider's
# signing method with its own function (a connector calls them)
OVERRIDE_RE = re.compile(rb"(?:XMLHttpRequest\.prototype\.(?:open|send)|(?:window|globalThis|self)\.fetch|"
                         rb"ethereum\.(?:request|send|sendAsync)|solana\.(?:signTransaction|signAndSendTransaction))"
                         rb"\s*=(?!=)")
HIDDEN_JS_APIS = frozenset(("child_process", "_compile", "createDecipher", "createDecipheriv", "eval", "exec",
                            "execSync", "spawn", "require", "http", "https", "crypto", "Function", "constructor",
                            "npm_package_description", "env", "process"))
UNTRUSTED_HOSTS = frozenset(("raw-ip", "tunnel", "paste", "oast", "app-hosting", "webhook", "file-hosting",
                             "shortener"))
# string literals for the text-only pass (unrolled loops: linear, no backtracking blow-up)
_LITERAL_RE = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
                         rb"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
                         rb"|`[^`\\]*(?:\\[\s\S][^`\\]*)*`")
MAX_TEXT_LITERALS = 400_000
MAX_TEXT_CHECKED = 50_000  # literals given the indicator checks in one file (a hostile file can be all keywords)
MAX_TEXT_LITERAL = 64 * 1024


@cache
def _parser() -> Any:
    import tree_sitter_javascript as tsj
    from tree_sitter import Language, Parser

    return Parser(Language(tsj.language()))


def _text(node: Any) -> str:
    text = node.text if node is not None else None  # (each .text read copies the bytes out of the tree)
    return text.decode("utf-8", "replace") if text is not None else ""


class JsScanner:
    def __init__(self, path: str, data: bytes, module_phase: str, all_install: bool = False, depth: int = 0) -> None:
        self.path = path
        self.data = data[:MAX_JS]
        self.module_phase = module_phase
        self.all_install = all_install
        self.depth = depth
        self.signals: list[Signal] = []
        self.aliases: dict[str, str] = {}
        self.consts: dict[str, str] = {}
        self.code_arrays: dict[str, list[int]] = {}  # names bound to an array of integers (character codes?)
        self._lines: list[bytes] | None = None
        self._label_offsets: list[int] | None = None  # built after the aliases are known
        self._unit: list[int] = [0]  # scope -> the scope its capabilities count with (set by _flatten)
        self._fn_scope: dict[tuple[int, int], int] = {}  # (start, end byte) of a function literal -> its scope
        self._phase_of_scope: list[str] = []
        self._parents: list[int] = [0]  # scope -> its enclosing scope (set by _flatten)
        self._fn_nodes: list[Any] = [None]  # scope -> its function node (set by _flatten)
        self._reverses = b".reverse()" in self.data  # s.split('').reverse().join(''): literals stored backwards
        self._parts: dict[int, list[Any]] = {}  # node id -> _value_parts of it, kept for the second taint pass
        self._parts_held = 0

    def emit(self, kind: str, node: Any, phase: str, **detail: Any) -> None:
        line = node.start_point[0] + 1 if node is not None and not isinstance(node, int) else int(node or 0)
        snippet = ""
        if line:
            if self._lines is None:
                self._lines = self.data.split(b"\n")
            if line <= len(self._lines):
                raw = self._lines[line - 1]
                col = node.start_point[1] if node is not None and not isinstance(node, int) else 0
                start = max(0, col - 40) if len(raw) > 200 else 0
                snippet = raw[start:start + 160].decode("utf-8", "replace").strip()
        self.signals.append(Signal(kind=kind, file=self.path, line=line, snippet=snippet, phase=phase,
                                   detail={k: v for k, v in detail.items() if v is not None}, decoded=self.depth))

    # ------------------------------------------------------------------ resolution

    def fold(self, node: Any, depth: int = 0) -> str | None:
        if node is None or depth > 20:
            return None
        t = node.type
        if t == "string":
            return "".join(_text(c) if c.type == "string_fragment" else _unescape(_text(c))
                           for c in node.children if c.type in ("string_fragment", "escape_sequence"))
        if t == "template_string":
            parts = []
            for c in node.children:
                if c.type == "string_fragment":
                    parts.append(_text(c))
                elif c.type == "template_substitution":
                    inner = self.fold(c.named_children[0], depth + 1) if c.named_children else None
                    parts.append(inner if inner is not None else "{}")
            return "".join(parts)
        if t == "binary_expression" and node.child_by_field_name("operator") is not None \
                and _text(node.child_by_field_name("operator")) == "+":
            a = self.fold(node.child_by_field_name("left"), depth + 1)
            b = self.fold(node.child_by_field_name("right"), depth + 1)
            if a is not None and b is not None and len(a) + len(b) < 1_000_000:
                return a + b
            return None
        if t == "parenthesized_expression" and node.named_children:
            return self.fold(node.named_children[0], depth + 1)
        if t == "identifier":
            return self.consts.get(_text(node))
        if t == "call_expression":
            callee = self.resolve(node.child_by_field_name("function"))
            args = [a for a in (node.child_by_field_name("arguments").named_children
                                if node.child_by_field_name("arguments") else [])]
            if callee in ("Buffer.from", "atob") and args:
                s = self.fold(args[0], depth + 1)
                enc = self.fold(args[1], depth + 1) if len(args) > 1 else ("base64" if callee == "atob" else None)
                if s is not None and enc in ("base64", "hex"):
                    step = dec.decode_string(s) if enc == "base64" else (
                        ("hex", bytes.fromhex(s)) if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", s) else None)
                    if step:
                        return dec.as_text(step[1])
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = _text(fn.child_by_field_name("property"))
                obj = fn.child_by_field_name("object")
                if prop == "toString" and obj is not None:
                    return self.fold(obj, depth + 1)
                if prop == "join" and obj is not None and obj.type == "array":
                    sep = self.fold(args[0], depth + 1) if args else ","
                    items = [self.fold(e, depth + 1) for e in obj.named_children]
                    if sep is not None and all(i is not None for i in items):
                        return sep.join(items)  # type: ignore[arg-type]
                if prop == "reverse" or prop == "split":
                    return None
            if callee == "String.fromCharCode":
                codes = [c for c in (_int(a) for a in args) if c is not None]
                if len(args) == 1 and args[0].type == "spread_element" and args[0].named_children:
                    spread = args[0].named_children[0]  # String.fromCharCode(...codes)
                    codes = [c for c in (_int(e) for e in spread.named_children) if c is not None] \
                        if spread.type == "array" else self.code_arrays.get(_text(spread), [])
                    if codes:
                        return "".join(chr(c) for c in codes if 0 <= c < 0x110000)
                if codes and len(codes) == len(args):
                    return "".join(chr(c) for c in codes if 0 <= c < 0x110000)
        return None

    def resolve(self, node: Any) -> str | None:
        if node is None:
            return None
        t = node.type
        if t == "identifier":
            name = _text(node)
            return self.aliases.get(name, name)
        if t == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            base = self.resolve(obj)
            if base is None:
                return None
            return f"{base}.{_text(prop)}"
        if t == "subscript_expression":
            obj = node.child_by_field_name("object")
            idx = node.child_by_field_name("index")
            base = self.resolve(obj)
            key = self.fold(idx)
            if base is not None and key is not None:
                return f"{base}.{key}"
            return None
        if t == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and self._is_require(fn):
                args = node.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    mod = self.fold(args.named_children[0])
                    if mod is not None:
                        return mod.removeprefix("node:")
                return "require(?)"
        if t == "parenthesized_expression" and node.named_children:
            return self.resolve(node.named_children[-1])
        if t == "await_expression" and node.named_children:
            return self.resolve(node.named_children[0])
        if t == "new_expression":
            return self.resolve(node.child_by_field_name("constructor"))
        if t == "this":
            return "this"
        return None

    # ------------------------------------------------------------------ main

    def scan(self) -> list[Signal]:
        try:
            tree = _parser().parse(self.data)
        except Exception as exc:  # parser errors on hostile input
            self.emit(sg.PARSE_ERROR, 0, self.module_phase, error=str(exc)[:200])
            return self.signals
        root = tree.root_node
        nodes = self._flatten(root)
        self._collect_aliases(nodes)
        self._scan_nodes(nodes)
        self._file_level(root)
        ind.mark_mentions(self.signals)
        return self.signals

    def scan_text_only(self, why: str) -> list[Signal]:
        """Indicators without a syntax tree, for code that is not worth one (``why`` says which).

        String literals are found by a linear regex and their escapes undone; one that holds an
        indicator gate keyword or an escape gets the same indicator checks as in a full scan, and one
        long enough for an encoded payload the same decoding. The file-level checks (obfuscator
        output, wallet-hijack hooks, hex-encoded API names) run as usual. What is lost is call
        resolution and data flow, so nothing here can say "X flows to Y".
        """
        newlines = [m.start() for m in re.finditer(b"\n", self.data)]
        text = self.data.decode("latin-1")  # one character per byte: offsets stay byte offsets
        hot = ind.hot_offsets(text)
        checked = 0
        for count, m in enumerate(_LITERAL_RE.finditer(self.data)):
            if count >= MAX_TEXT_LITERALS or checked >= MAX_TEXT_CHECKED:
                self.emit(sg.PARSE_ERROR, 0, self.module_phase,
                          error=f"text-only pass stopped at its limit ({count} literals, {checked} checked)")
                break
            start, end = m.span()
            if end - start < 10:
                continue
            # only literals with an indicator keyword inside, escapes that could hide one, or room for an
            # encoded payload
            i = bisect.bisect_left(hot, start)
            hot_inside = (i < len(hot) and hot[i] < end) or self.data.find(b"\\x", start, end) >= 0 \
                or self.data.find(b"\\u", start, end) >= 0
            if not hot_inside and end - start - 2 < dec.MIN_ENCODED:
                continue
            value = self.data[start + 1:min(end - 1, start + 1 + MAX_TEXT_LITERAL)].decode("utf-8", "replace")
            if "\\" in value:
                value = _unescape(value)
            line = bisect.bisect_left(newlines, start)
            col = start - (newlines[line - 1] + 1 if line else 0)
            checked += 1
            self._literal_value(value, _At(line, col, end), self.module_phase, indicators=hot_inside)
        self._file_level(None)
        for sig in self.signals:
            sig.detail.setdefault("analysis", f"text only: {why}")
        return self.signals

    def _flatten(self, root: Any) -> list[tuple[Any, str, int]]:
        """(node, phase, scope id) for the nodes the passes look at, in document order.

        A tree-sitter query (run in C) picks them and the function nodes out of the tree, so Python
        touches a small part of a large bundle; function bodies are their own scopes, numbered in
        document order. A function's code runs when its file runs if it is invoked in place, handed to
        a call as an argument (callbacks: ``request.get(u, (e, r, body) => ...)``, ``.then(...)``), or
        called by name from code that runs then (``function dl() {...} dl();``, followed through
        further named calls); any other function body runs at ``runtime``.
        """
        kept, functions = _captures(root)
        events = sorted([(n.start_byte, -n.end_byte, 0, n) for n in functions]
                        + [(n.start_byte, -n.end_byte, 1, n) for n in kept[:MAX_NODES]],
                        key=lambda e: (e[0], e[1], e[2]))
        stack: list[tuple[int, int]] = [(1 << 62, 0)]  # (end byte, scope) of open scopes
        placed: list[tuple[Any, int]] = []
        parents: list[int] = [0]  # scope -> enclosing scope
        with_parent: list[bool] = [True]  # scope runs when its enclosing scope runs
        names: list[str | None] = [None]
        calls: dict[int, set[str]] = {}  # scope -> names it calls
        # the function whose capabilities a scope's count with: its own, or for a callback its caller's
        # (`request.get(u, (e, r, body) => { fs.writeFileSync(p, body); exec(...) })` is one download-run)
        unit: list[int] = [0]
        self._unit = unit
        self._parents = parents
        self._fn_nodes = [None]
        self._fn_scope.clear()
        for start, neg_end, is_kept, node in events:
            while stack[-1][0] <= start and len(stack) > 1:
                stack.pop()
            scope = stack[-1][1]
            if is_kept:
                placed.append((node, scope))
                if node.type == "call_expression":
                    fn = node.child_by_field_name("function")
                    if fn is not None and fn.type == "identifier":
                        calls.setdefault(scope, set()).add(_text(fn))
                continue
            parents.append(scope)
            callback = _is_callback(node)
            unit.append(unit[scope] if callback else len(parents) - 1)
            with_parent.append(self.all_install or callback or _is_iife(node))
            names.append(_function_name(node))
            stack.append((-neg_end, len(parents) - 1))
            self._fn_scope[(start, -neg_end)] = len(parents) - 1
            self._fn_nodes.append(node)
        phases = self._scope_phases(parents, with_parent, names, calls)
        self._phase_of_scope = phases
        return [(node, phases[scope], scope) for node, scope in placed]

    def _constant_used_later(self, literal: Any, raised: list[Signal]) -> None:
        """A top-level ``const NAME = "..."`` runs nothing when the file loads: what its text holds (an
        installer command in vercel's CLI bundle) happens where NAME is used. When every use sits in
        functions that run later, its signals take the run-time phase; a use at the top level or in code
        that runs on load, or no use in this file, keeps the file's phase."""
        decl = literal.parent
        if decl is None or decl.type != "variable_declarator" or decl.child_by_field_name("value") != literal:
            return
        name_node = decl.child_by_field_name("name")
        if name_node is None or name_node.type != "identifier":
            return
        uses = [m.start() for m in re.finditer(rb"(?<![\w$.])" + re.escape(_text(name_node).encode()) + rb"(?![\w$])",
                                               self.data) if m.start() != name_node.start_byte][:50]
        if not uses or len(uses) == 50:
            return
        for at in uses:
            inner = [(hi - lo, scope) for (lo, hi), scope in self._fn_scope.items() if lo <= at < hi]
            if not inner or self._phase_of_scope[min(inner)[1]] != sg.RUNTIME:
                return
        for sig in raised:
            sig.phase = sg.RUNTIME
            sig.detail.setdefault("used_in", "functions that run later only")

    def _scope_phases(self, parents: list[int], with_parent: list[bool], names: list[str | None],
                      calls: dict[int, set[str]]) -> list[str]:
        """Phase of each scope (parents come before their children), named calls followed to a fixed point."""
        top = self.module_phase if not self.all_install else sg.INSTALL
        rank = {sg.RUNTIME: 0, sg.IMPORT: 1, sg.INSTALL: 2}
        phases = [top] + [sg.RUNTIME] * (len(parents) - 1)
        called: dict[str, str] = {}  # function name -> strongest phase of a scope that calls it
        for _ in range(8):
            for scope in range(1, len(parents)):
                phase = phases[parents[scope]] if with_parent[scope] else sg.RUNTIME
                name = names[scope]
                if name is not None and rank[called.get(name, sg.RUNTIME)] > rank[phase]:
                    phase = called[name]
                phases[scope] = phase
            before = dict(called)
            for scope, callees in calls.items():
                if phases[scope] != sg.RUNTIME:
                    for callee in callees:
                        if rank[phases[scope]] > rank[called.get(callee, sg.RUNTIME)]:
                            called[callee] = phases[scope]
            if called == before:
                break
        return phases

    def _collect_aliases(self, nodes: list[tuple[Any, str, int]]) -> None:
        for node, _phase, _scope in nodes:
            if node.type == "variable_declarator":
                name = node.child_by_field_name("name")
                value = node.child_by_field_name("value")
                if name is None or value is None:
                    continue
                self._bind(name, value)
            elif node.type == "assignment_expression":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and left.type == "identifier" and right is not None:
                    self._bind(left, right)
                elif left is not None and right is not None:
                    global_name = self._global_name(left)
                    if global_name:
                        self._bind(left, right, as_name=global_name)
            elif node.type == "import_statement":
                src = node.child_by_field_name("source")
                mod = self.fold(src) if src is not None else None
                if not mod:
                    continue
                mod = mod.removeprefix("node:")
                for sub in _descendants(node):
                    if sub.type == "import_specifier":
                        nm = sub.child_by_field_name("name")
                        al = sub.child_by_field_name("alias") or nm
                        self.aliases[_text(al)] = f"{mod}.{_text(nm)}"
                    elif sub.type == "namespace_import" and sub.named_children:
                        self.aliases[_text(sub.named_children[-1])] = mod
                    elif sub.type == "import_clause" and sub.named_children and \
                            sub.named_children[0].type == "identifier":
                        self.aliases[_text(sub.named_children[0])] = mod

    def _is_require(self, fn: Any) -> bool:
        """``require`` itself, a name bound to it (``const r = require``, ``global['r'] = require``), the
        module object's own copies (``module.require``, ``process.mainModule.require``) or a dynamic
        ``import()``."""
        name = _text(fn)
        return name in REQUIRE_FORMS or (fn.type == "identifier" and self.aliases.get(name) == "require")

    def _global_name(self, left: Any) -> str | None:
        """``x`` for ``global.x`` / ``global['x']`` / ``globalThis.x`` / ``window.x``: a global binding,
        which code elsewhere uses as a plain name."""
        if left.type not in ("member_expression", "subscript_expression"):
            return None
        obj = left.child_by_field_name("object")
        if obj is None or _text(obj) not in ("global", "globalThis", "window", "self"):
            return None
        key = left.child_by_field_name("property") if left.type == "member_expression" \
            else left.child_by_field_name("index")
        name = (_text(key) if left.type == "member_expression" else self.fold(key)) if key is not None else None
        return name if name and re.fullmatch(r"[A-Za-z_$][\w$]*", name) else None

    def _bind(self, name: Any, value: Any, as_name: str | None = None) -> None:
        real = self.resolve(value) if value.type in ("call_expression", "member_expression", "identifier",
                                                      "subscript_expression", "parenthesized_expression",
                                                      "await_expression") else None
        if name.type == "identifier" or as_name:
            n = as_name or _text(name)
            fn = value.child_by_field_name("function") if value.type == "call_expression" else None
            if (real and real != n and real != "require(?)" and (fn is None or self._is_require(fn))) \
                    or (value.type in ("identifier", "member_expression") and real and real != n):
                self.aliases[n] = real
            folded = self.fold(value) if value.type in ("string", "template_string", "binary_expression",
                                                         "call_expression") else None
            if folded is not None and len(folded) < 1_000_000:
                self.consts[n] = folded
            if value.type == "array" and 0 < value.named_child_count <= MAX_CODE_ARRAY:
                codes = [c for c in (_int(e) for e in value.named_children) if c is not None]
                if len(codes) == value.named_child_count:
                    self.code_arrays[n] = codes
        elif name.type == "object_pattern" and real:
            for c in name.named_children:
                if c.type == "shorthand_property_identifier_pattern":
                    self.aliases[_text(c)] = f"{real}.{_text(c)}"
                elif c.type == "pair_pattern":
                    k, v = c.child_by_field_name("key"), c.child_by_field_name("value")
                    if k is not None and v is not None and v.type == "identifier":
                        self.aliases[_text(v)] = f"{real}.{_text(k)}"

    def _label_offset_list(self) -> list[int]:
        """Offsets of the words a label or a network callee can start from (built once the aliases are known)."""
        if self._label_offsets is None:
            roots = set(LABEL_ROOTS)
            roots.update(k for k, v in self.aliases.items() if _root(v) in LABEL_ROOTS)
            self._label_offsets = _word_offsets(self.data, roots)
        return self._label_offsets

    def _may_label(self, node: Any, tainted: dict[str, set[str]]) -> bool:
        """Whether ``node``'s text holds a word a label can come from (see ``_labels``).

        A label needs a tainted name, ``env`` (``process.env``) or the first word of a source or network
        callee (``os``, ``fs``, ``https``, ``fetch``, ``require``...) or of an alias of one; a value
        without any of them is skipped without walking it, which is most of a large bundle.
        """
        lo, hi = node.start_byte, node.end_byte
        if _any_between(self._label_offset_list(), lo, hi):
            return True
        if not tainted:
            return False
        if hi - lo > 16 * 1024:  # not worth tokenising: the bounded walk decides
            return True
        words = _IDENT_RE.findall(self.data, lo, hi)
        return any(w.decode("utf-8", "replace") in tainted for w in words)

    def _labels(self, node: Any, tainted: dict[str, set[str]]) -> set[str]:
        labels: set[str] = set()
        if not self._may_label(node, tainted):
            return labels
        parts = self._parts.get(node.id)
        if parts is None:  # the taint passes read most values twice
            parts = _value_parts(node, limit=MAX_VALUE_PARTS)
            if self._parts_held + len(parts) <= MAX_HELD_PARTS:
                self._parts[node.id] = parts
                self._parts_held += len(parts)
        for sub in parts:
            t = sub.type
            if t in ("identifier", "shorthand_property_identifier"):  # `{ npmrc }` carries npmrc
                labels |= tainted.get(_text(sub), set())
            elif t == "member_expression":
                name = self.resolve(sub) or ""
                if name == "process.env":
                    parent = sub.parent
                    if parent is not None and parent.type in ("member_expression", "subscript_expression") \
                            and parent.child_by_field_name("object") == sub:
                        key = _text(parent.child_by_field_name("property") or parent.child_by_field_name("index"))
                        if SECRET_ENV_RE.search(key):
                            labels.add("source:env-secret")
                            labels.add(ind.ENV_NAME_LABEL + key.strip("'\"`"))
                    else:
                        labels.add("source:env-dump")
            elif t == "new_expression":  # const ws = new WebSocket(url): ws is a network object
                if (self.resolve(sub.child_by_field_name("constructor")) or "") in NETWORK:
                    labels.add("net")
            elif t == "call_expression":
                callee = self.resolve(sub.child_by_field_name("function")) or ""
                if callee in SYSINFO_IDENTITY:
                    labels.add("source:sysinfo")
                if callee in NETWORK:
                    labels.add("net")
                if callee.startswith(("fs.readFileSync", "fs.readFile", "fs.promises.readFile")):
                    arg_text = _text(sub.child_by_field_name("arguments"))
                    if ind.credential_targets(arg_text + " " + " ".join(
                            self.consts.get(i, "") for i in re.findall(r"[A-Za-z_$][\w$]*", arg_text))):
                        labels.add("source:credential")
        return labels

    def _scan_nodes(self, nodes: list[tuple[Any, str, int]]) -> None:
        tainted_by_scope: dict[int, dict[str, set[str]]] = {}
        parents = self._parents

        views: dict[int, tuple[int, dict[str, set[str]]]] = {}  # scope -> (taint version, view)
        version = [0]  # bumped by every taint, so a view is rebuilt only after something changed

        def visible(scope: int) -> dict[str, set[str]]:
            """Labels of the names a scope sees: its own and the module's, and network data held by its
            enclosing functions (closures over a response). Source labels do not travel through closures:
            in a bundle, generic helper names (``k``, ``e``) are reused in every function."""
            if not tainted_by_scope:
                return {}
            cached = views.get(scope)
            if cached is not None and cached[0] == version[0]:
                return cached[1]
            out: dict[str, set[str]] = {}
            for at in (scope, 0):
                for name, labels in tainted_by_scope.get(at, {}).items():
                    out.setdefault(name, set()).update(labels)
            at = parents[scope] if scope else 0
            while at != 0:
                for name, labels in tainted_by_scope.get(at, {}).items():
                    if "net" in labels:
                        out.setdefault(name, set()).add("net")
                at = parents[at]
            views[scope] = (version[0], out)
            return out

        declared: dict[int, set[str]] = {}  # scope -> names its declarations bind (parameters added lazily)

        def bound(scope: int) -> set[str]:
            names = declared.get(scope)
            if names is None:
                names = declared[scope] = set(_parameter_names(self._fn_nodes[scope])) if scope else set()
            return names

        def taint(scope: int, names: list[str], labels: set[str], outward: bool = False) -> None:
            """Label names in a scope; ``outward`` for an assignment, which writes the variable of the nearest
            scope that declares it (``let body = ''; res.on('data', c => body += c)`` labels ``body`` where
            it was declared, so the ``end`` handler sees it); an undeclared name stays in the assigning scope."""
            for ident in names:
                target = scope
                if outward:
                    at = scope
                    while ident not in bound(at) and at != 0:
                        at = parents[at]
                    if ident in bound(at):
                        target = at
                held = tainted_by_scope.setdefault(target, {}).setdefault(ident, set())
                if not labels <= held:
                    held.update(labels)
                    version[0] += 1

        # taint: declarators, assignments and handler parameters first (two passes so order does not matter much)
        declarators: list[tuple[Any, Any, int]] = []
        flows: list[tuple[str, Any, int]] = []  # x = v, x += v, x.push(v): x holds what v holds
        # (network object or None for a network call, functions, eval-likes by name, node, phase, scope)
        handlers: list[tuple[Any, list[Any], list[str], Any, str, int]] = []
        for node, phase, scope in nodes:
            t = node.type
            if t == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None:
                    bound(scope).update(_pattern_names(name))
                    if value is not None:
                        declarators.append((name, value, scope))
                continue
            if t in ("assignment_expression", "augmented_assignment_expression"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is None or right is None:
                    continue
                if left.type == "identifier" and right.type not in _CONSTANT_TYPES:
                    flows.append((_text(left), right, scope))
                elif left.type == "member_expression" and right.type in FUNCTION_TYPES and \
                        _text(left.child_by_field_name("property")) in NET_EVENT_PROPERTIES:
                    handlers.append((left.child_by_field_name("object"), [right], [], node, phase, scope))
            elif t == "call_expression":
                fn = node.child_by_field_name("function")
                if fn is None:
                    continue
                if fn.type == "member_expression" and self.data[fn.end_byte - 5:fn.end_byte] == b".push":
                    target, args_node = fn.child_by_field_name("object"), node.child_by_field_name("arguments")
                    if target is not None and target.type == "identifier" and args_node is not None:
                        flows.extend((_text(target), a, scope) for a in args_node.named_children)
                site = self._handler_site(node, fn)
                if site is not None:
                    handlers.append((*site, node, phase, scope))
        for _ in range(2):
            for name, value, scope in declarators:
                if name.type == "object_pattern" and self.resolve(value) == "process.env":
                    for names, labels in _env_pattern_labels(name):
                        taint(scope, names, labels)
                    continue
                labels = self._labels(value, visible(scope))
                if labels:
                    taint(scope, _pattern_names(name), labels)
            for ident, value, scope in flows:  # only network data: sources keep to declarations, as before
                if "net" in self._labels(value, visible(scope)):
                    taint(scope, [ident], {"net"}, outward=True)
            for source, functions, _exec_refs, _node, _phase, scope in handlers:
                if source is not None and "net" not in self._labels(source, visible(scope)):
                    continue
                for fn_node in functions:
                    inner = self._fn_scope.get((fn_node.start_byte, fn_node.end_byte))
                    if inner is not None:
                        taint(inner, _parameter_names(fn_node), {"net"})
        for source, _functions, exec_refs, node, phase, scope in handlers:  # fetch(u).then(r => r.text()).then(eval)
            if exec_refs and (source is None or "net" in self._labels(source, visible(scope))):
                self.emit(sg.DOWNLOAD_EXEC, node, phase, api=exec_refs[0], how="network response handed to "
                          f"{exec_refs[0]}")
        seen: dict[int, dict[str, set[str]]] = {}
        per_scope: dict[int, dict[str, list[Any]]] = {}  # capabilities per function, callbacks in their caller
        unit = self._unit
        for node, phase, scope in nodes:
            t = node.type
            if t == "new_expression":
                ctor = self.resolve(node.child_by_field_name("constructor")) or ""
                if ctor in ("Function",):
                    ctor_args = node.child_by_field_name("arguments")
                    tainted = seen[scope] if scope in seen else seen.setdefault(scope, visible(scope))
                    if ctor_args is not None and any("net" in self._labels(a, tainted)
                                                     for a in ctor_args.named_children):
                        self.emit(sg.DOWNLOAD_EXEC, node, phase, api="new Function", how="network response evaluated")
                    else:
                        self.emit(sg.EXEC_DYNAMIC, node, phase, api="new Function")
                if ctor == "module.constructor" or (ctor.endswith(".constructor") and "module" in ctor):
                    self.emit(sg.EXEC_DYNAMIC, node, phase, api="new module.constructor",
                              how="builds a module from a string")
                if ctor in NETWORK:
                    self.emit(sg.NETWORK, node, phase, api=ctor)
                    per_scope.setdefault(unit[scope], {}).setdefault("net", []).append(node)
                continue
            if t != "call_expression":
                if t in ("string", "template_string"):
                    before = len(self.signals)
                    self._literal(node, phase)
                    if len(self.signals) > before and scope == 0 and phase != sg.RUNTIME:
                        self._constant_used_later(node, self.signals[before:])
                continue
            fn = node.child_by_field_name("function")
            callee = self.resolve(fn) or ""
            if not _callee_matters(callee):  # most calls of a large package: no branch below acts on them
                continue
            args_node = node.child_by_field_name("arguments")
            args = args_node.named_children if args_node is not None else []
            tainted = seen[scope] if scope in seen else seen.setdefault(scope, visible(scope))
            if callee == "require" or callee == "require(?)":
                if args and self.fold(args[0]) is None:
                    # plugin loaders do this honestly: a capability only
                    self.emit(sg.EXEC_DYNAMIC, node, phase, api="require", how="require() of a computed name")
                continue
            if callee.endswith("._compile") or (callee.endswith("._load") and "Module" in callee):
                self.emit(sg.EXEC_DYNAMIC, node, phase, api=callee, how="compiles a string as a module")
            if callee in EXEC or (callee in ("setTimeout", "setInterval") and args and args[0].type in
                                  ("string", "template_string", "binary_expression")):
                dynamic = not args or self.fold(args[0]) is None
                labels = self._labels(args[0], tainted) if args else set()
                if "net" in labels:
                    self.emit(sg.DOWNLOAD_EXEC, node, phase, api=callee, how="network response evaluated")
                elif dynamic:
                    self.emit(sg.EXEC_DYNAMIC, node, phase, api=callee)
                else:
                    payload = self.fold(args[0]) or ""
                    if len(payload) > 40:
                        self._payload(payload, node, phase, "literal evaluated")
                if dynamic:  # Function("return this")() in a bundle runs no fetched code
                    per_scope.setdefault(unit[scope], {}).setdefault("exec", []).append(node)
            elif callee == "process.binding" and args and self.fold(args[0]) not in (None, *SPAWN_BINDINGS):
                pass  # an internal binding other than the process spawners (debug reads 'tty_wrap')
            elif callee in PROCESS or callee.startswith("child_process."):
                command = " ".join(x for x in (self.fold(a) for a in args[:2]) if x)
                self.emit(sg.PROCESS, node, phase, api=callee, command=command[:300] or None)
                labels = set()
                for a in args:
                    labels |= self._labels(a, tainted)
                if "net" in labels:
                    self.emit(sg.DOWNLOAD_EXEC, node, phase, api=callee, how="network data passed to a process")
                if command:
                    self._text_indicators(command, node, phase)
                per_scope.setdefault(unit[scope], {}).setdefault("proc", []).append(node)
            elif _is_network_callee(callee):
                target = (self.fold(args[0]) or self._options_url(args[0])) if args else None
                self.emit(sg.NETWORK, node, phase, api=callee, target=(target or "")[:200] or None)
                labels = set()
                for a in args:
                    labels |= self._labels(a, tainted)
                sources = sorted(lbl.split(":", 1)[1] for lbl in labels if lbl.startswith("source:"))
                if sources:
                    self.emit(sg.EXFIL_FLOW, node, phase, api=callee, sources=sources, env=ind.env_names(labels))
                if target:
                    for kind, detail in ind.endpoint_signals(target):
                        self.emit(kind, node, phase, **detail)
                        if detail.get("category") in UNTRUSTED_HOSTS or kind == sg.ENDPOINT_TOKEN:
                            per_scope.setdefault(unit[scope], {}).setdefault("net_untrusted", []).append(node)
                per_scope.setdefault(unit[scope], {}).setdefault("net", []).append(node)
            elif callee.endswith((".write", ".end")) and tainted.get(_text(fn.child_by_field_name("object"))
                                                                      if fn is not None and fn.type ==
                                                                      "member_expression" else "", set()) & {"net"}:
                labels = set()
                for a in args:
                    labels |= self._labels(a, tainted)
                sources = sorted(lbl.split(":", 1)[1] for lbl in labels if lbl.startswith("source:"))
                if sources:
                    self.emit(sg.EXFIL_FLOW, node, phase, api=callee, sources=sources, env=ind.env_names(labels))
            elif callee in DNS:
                target = self.fold(args[0]) if args else None
                self.emit(sg.NETWORK, node, phase, api=callee, target=(target or "")[:200] or None)
                labels = set()
                for a in args:
                    labels |= self._labels(a, tainted)
                sources = sorted(lbl.split(":", 1)[1] for lbl in labels if lbl.startswith("source:"))
                ep = ind.dns_name_endpoint(target or "")
                if ep is not None:
                    self.emit(sg.ENDPOINT, node, phase, url=ep.url[:200], host=ep.host, category=ep.category)
                    if "{}" in (target or "") and not sources:
                        sources = ["data-in-hostname"]
                if sources:
                    self.emit(sg.EXFIL_FLOW, node, phase, api=callee, sources=sources, channel="dns",
                              env=ind.env_names(labels))
            elif callee in SYSINFO_IDENTITY:
                self.emit(sg.SOURCE_SYSINFO, node, phase, api=callee)
            elif callee.startswith(FILE_WRITES):
                text = " ".join(x for x in (self.fold(a) for a in args[:1]) if x)
                for label, match in ind.persistence_targets(text):
                    self.emit(sg.PERSISTENCE, node, phase, place=label, match=match)
                per_scope.setdefault(unit[scope], {}).setdefault("write", []).append(node)
            elif callee.startswith("crypto.createDecipher"):
                self.emit(sg.OBF_DECODED, node, phase, method="decipher", api=callee)
            elif callee.startswith(ENV_DUMPERS) and args:  # noqa: SIM102
                if (self.resolve(args[0]) or "") == "process.env":
                    self.emit(sg.SOURCE_ENV_DUMP, node, phase, api=callee)
        placed_at = {id(n): (p, s) for n, p, s in nodes} if per_scope else {}  # node -> (phase, scope)
        for caps in per_scope.values():
            # capabilities joined only through callbacks (https.get(u, res => ... exec(...))) are also how
            # every prebuilt-binary installer looks; they count when the download comes from an untrusted
            # host (raw IP, tunnel, paste, OAST, app hosting, webhook)
            spread = len({placed_at[id(n)][1] for cap in ("net", "exec", "proc", "write")
                          for n in caps.get(cap, [])}) > 1
            if spread and not caps.get("net_untrusted"):
                continue
            if caps.get("net") and (caps.get("exec") or caps.get("proc")):
                node = (caps.get("exec") or caps.get("proc"))[0]  # type: ignore[index]
                phase = placed_at[id(node)][0]
                if phase != sg.RUNTIME:
                    self.emit(sg.DOWNLOAD_EXEC, node, phase, how="fetch and execute in one function")
            if caps.get("net") and caps.get("write") and caps.get("proc"):
                node = caps["proc"][0]
                self.emit(sg.WRITE_EXEC, node, placed_at[id(node)][0], how="download, write and run in one function")

    def _handler_site(self, node: Any, fn: Any) -> tuple[Any, list[Any], list[str]] | None:
        """Where functions receive network data from a call ``node`` to ``fn``: (the object whose data they
        receive, or None when the call itself is a network call; the function literals; the eval-like
        functions handed over by name) for ``https.get(u, res => ...)``, ``ws.on('message', m => ...)`` and
        ``fetch(u).then(r => ...).then(eval)``; None elsewhere. (``ws.onmessage = e => ...`` is found where
        assignments are read.)"""
        source = None
        # a network callee names a network root (https, fetch, axios...) or an alias of one in its own text
        if _any_between(self._label_offset_list(), fn.start_byte, fn.end_byte):
            callee = self.resolve(fn) or ""
            if not _is_network_callee(callee):
                callee = ""
        else:
            callee = ""
        if not callee:
            if fn.type != "member_expression" or not \
                    self.data[max(fn.start_byte, fn.end_byte - 17):fn.end_byte].endswith(NET_HANDLER_TAILS):
                return None
            source = fn.child_by_field_name("object")
        args = node.child_by_field_name("arguments")
        if args is None:
            return None
        functions = [a for a in args.named_children if a.type in FUNCTION_TYPES]
        exec_refs = [name for name in (self.resolve(a) for a in args.named_children
                                       if a.type in ("identifier", "member_expression")) if name in EXEC]
        return (source, functions, exec_refs) if functions or exec_refs else None

    def _options_url(self, node: Any) -> str | None:
        """``https://host/path`` from a request options object (``{hostname: "h", path: "/p"}``), else None."""
        if node is None or node.type != "object":
            return None
        parts: dict[str, str] = {}
        for pair in node.named_children[:40]:
            if pair.type != "pair":
                continue
            key = _text(pair.child_by_field_name("key")).strip("'\"")
            if key in ("hostname", "host", "path"):
                value = self.fold(pair.child_by_field_name("value"))
                if value:
                    parts[key] = value
        host = parts.get("hostname") or parts.get("host")
        if not host or "/" in host:
            return None
        path = parts.get("path", "/")
        return f"https://{host}{path if path.startswith('/') else '/' + path}"

    def _literal(self, node: Any, phase: str) -> None:
        value = self.fold(node)
        self._literal_value(value, node, phase)

    def _literal_value(self, value: str | None, node: Any, phase: str, indicators: bool = True) -> None:
        if not value or len(value) < 8:
            return
        if indicators:
            self._text_indicators(value, node, phase)
        if len(value) >= dec.MIN_ENCODED and self.depth < 3:
            revealed = dec.reveal(value, backwards=self._reverses)
            if revealed and (dec.looks_like_code(revealed[1]) or ind.URL_RE.search(revealed[1])):
                self.emit(sg.OBF_DECODED, node, phase, method=revealed[0], preview=revealed[1][:200])
                self._payload(revealed[1], node, phase, f"{revealed[0]} literal")

    def _payload(self, text: str, node: Any, phase: str, origin: str) -> None:
        if self.depth >= 3:
            return
        sub = JsScanner(self.path, text.encode("utf-8", "replace"), phase, all_install=phase == sg.INSTALL,
                        depth=self.depth + 1)
        sub.aliases = dict(self.aliases)
        line = node.start_point[0] + 1
        # a bundler's inlined web worker: the decoded source becomes a Blob URL that ``new Worker()`` loads
        # right after the literal; it runs in the browser's worker sandbox (no Node APIs, no files)
        end = getattr(node, "end_byte", -1)
        worker = end >= 0 and b"createObjectURL" in self.data and b"new Worker(" in self.data[end:end + WORKER_WINDOW]
        for s in sub.scan():
            if s.kind == sg.PARSE_ERROR:
                continue
            s.detail.setdefault("payload_origin", origin)
            if worker:
                s.detail.setdefault("runs_in", "browser worker")
            s.line = line
            self.signals.append(s)

    def _text_indicators(self, text: str, node: Any, phase: str) -> None:
        for kind, detail in ind.text_signals(text):
            self.emit(kind, node, phase, **detail)

    def _file_level(self, root: Any) -> None:
        obf = OBF_IDENT_RE.findall(self.data)
        if len(obf) >= 30 and len(set(obf)) >= 5:
            self.emit(sg.OBF_OBFUSCATOR, 1, self.module_phase, tool="javascript-obfuscator",
                      identifiers=len(obf))
        hooks = HOOK_RE.findall(self.data) if any(n in self.data for n in HOOK_NEEDLES) else []
        if hooks and OVERRIDE_RE.search(self.data, 0, MAX_JS):
            wallets: set[bytes] = set()
            for rx in WALLET_RES:
                wallets.update(rx.findall(self.data[:MAX_JS]))
                if len(wallets) > 200:
                    break
            if len(wallets) >= 5:
                self.emit(sg.EXEC_DECODED, 1, self.module_phase, what="wallet-hijack",
                          hooks=sorted({h.decode("latin-1") for h in hooks})[:6], wallet_addresses=len(wallets))
        hex_strings = re.findall(rb"[\"'](?:[0-9a-f]{2}){4,}[\"']", self.data[:MAX_JS])
        revealed = []
        for h in hex_strings[:500]:
            try:
                txt = bytes.fromhex(h[1:-1].decode()).decode("ascii")
            except (ValueError, UnicodeDecodeError):
                continue
            if txt.isprintable() and re.search(r"[a-z_]{3,}", txt):
                revealed.append(txt)
        if len(revealed) >= 3:
            joined = " ".join(revealed)
            self.emit(sg.OBF_DECODED, 1, self.module_phase, method="hex-strings", preview=joined[:200])
            if len({r for r in revealed if r in HIDDEN_JS_APIS}) >= 2:
                self.emit(sg.EXEC_DECODED, 1, self.module_phase, how="hex-encoded names of code-loading APIs",
                          preview=joined[:200])


WORKER_WINDOW = 256  # bytes after a decoded literal in which a web worker is made from it


class _At:
    """A position standing in for a syntax node where there is no tree (``emit`` reads ``start_point``)."""

    __slots__ = ("end_byte", "start_point")

    def __init__(self, line: int, col: int, end_byte: int = -1) -> None:
        self.start_point = (line, col)
        self.end_byte = end_byte


def _unescape(seq: str) -> str:
    try:
        return seq.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return seq


def _int(node: Any) -> int | None:
    if node is not None and node.type == "number":
        try:
            return int(_text(node), 0)
        except ValueError:
            return None
    return None


def _is_network_callee(callee: str) -> bool:
    return callee in NETWORK or (callee.endswith((".request", ".get", ".post")) and
                                 callee.split(".")[0] in ("http", "https", "axios", "got", "request", "needle",
                                                          "superagent"))


FILE_WRITES = ("fs.writeFileSync", "fs.writeFile", "fs.promises.writeFile", "fs.chmodSync", "fs.chmod",
               "fs.createWriteStream", "fs.appendFileSync")
ENV_DUMPERS = ("JSON.stringify", "Object.entries", "Object.keys")
# what the call checks of ``JsScanner._scan_nodes`` act on, each branch's test in one place
_CALLEES = frozenset({"require", "require(?)", "setTimeout", "setInterval", "process.binding"}) | EXEC | PROCESS | DNS \
    | SYSINFO_IDENTITY
_CALLEE_PREFIXES = ("child_process.", "crypto.createDecipher", *FILE_WRITES, *ENV_DUMPERS)
_CALLEE_SUFFIXES = ("._compile", "._load", ".write", ".end")


def _callee_matters(callee: str) -> bool:
    return callee in _CALLEES or callee.startswith(_CALLEE_PREFIXES) or callee.endswith(_CALLEE_SUFFIXES) \
        or _is_network_callee(callee)


def _root(name: str) -> str:
    return name.split(".", 1)[0]


_CONSTANT_TYPES = frozenset(("string", "number", "true", "false", "null", "undefined", "regex"))
# methods that hand a network object's data to a function, and handler properties that receive it
NET_HANDLER_METHODS = ("on", "once", "addListener", "addEventListener", "then")
NET_HANDLER_TAILS = tuple(f".{m}".encode() for m in NET_HANDLER_METHODS)
NET_EVENT_PROPERTIES = frozenset(("onmessage", "ondata", "onload", "onreadystatechange"))
LABEL_ROOTS = frozenset({_root(n) for n in NETWORK | SYSINFO_IDENTITY} | {"fs", "process", "env", "require"})


_IDENT_RE = re.compile(rb"[A-Za-z_$\x80-\xff][\w$\x80-\xff]*")  # over-approximates: more walks, never fewer


_IDENT_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")


def _word_offsets(data: bytes, words: set[str]) -> list[int]:
    """Where any of ``words`` stands as a whole identifier (no ASCII letter, digit, ``_`` or ``$`` on
    either side), leftmost first and not overlapping, as a regex alternation would find them. One
    ``bytes.find`` per word skips between candidates in C: an alternation tried at every byte cost
    2.6x more on a large package."""
    hits: list[tuple[int, int]] = []
    size = len(data)
    for word in words:
        needle = word.encode("utf-8", "replace")
        if not needle:
            continue
        at = data.find(needle)
        while at >= 0:
            end = at + len(needle)
            if (not at or data[at - 1] not in _IDENT_BYTES) and (end >= size or data[end] not in _IDENT_BYTES):
                hits.append((at, end))
            at = data.find(needle, at + 1)
    hits.sort()
    out: list[int] = []
    reached = -1
    for start, end in hits:
        if start >= reached:  # a word inside one found before it (``fetch`` in ``node-fetch``) is not one
            out.append(start)
            reached = end
    return out


def _any_between(offsets: list[int], lo: int, hi: int) -> bool:
    i = bisect.bisect_left(offsets, lo)
    return i < len(offsets) and offsets[i] < hi


KEPT_TYPES = ("variable_declarator", "assignment_expression", "augmented_assignment_expression", "import_statement",
              "new_expression", "call_expression", "string", "template_string")
FUNCTION_TYPES = ("function_declaration", "function_expression", "arrow_function", "method_definition",
                  "generator_function_declaration", "generator_function", "function")


@cache
def _query() -> Any:
    from tree_sitter import Query

    lang = _parser().language
    known = [t for t in (*KEPT_TYPES, *FUNCTION_TYPES) if lang.id_for_node_kind(t, True) is not None]
    kept = " ".join(f"({t})" for t in known if t in KEPT_TYPES)
    funcs = " ".join(f"({t})" for t in known if t in FUNCTION_TYPES)
    return Query(lang, f"[{kept}] @kept [{funcs}] @function")


def _captures(root: Any) -> tuple[list[Any], list[Any]]:
    """(nodes the passes read, function nodes) below ``root``."""
    from tree_sitter import QueryCursor

    caps = QueryCursor(_query()).captures(root)
    return caps.get("kept", []), caps.get("function", [])


def _is_callback(node: Any) -> bool:
    """A function literal handed to a call (``f(x, () => ...)``, ``new Promise((resolve) => ...)``) or set as
    a network object's data handler (``xhr.onload = function () {...}``)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        return left is not None and left.type == "member_expression" and \
            _text(left.child_by_field_name("property")) in NET_EVENT_PROPERTIES
    return parent.type == "arguments"


def _function_name(node: Any) -> str | None:
    """The name a function can be called by: its declaration's, or the variable or property it is assigned to."""
    name = node.child_by_field_name("name") if node.type in ("function_declaration",
                                                              "generator_function_declaration") else None
    if name is None:
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
        elif parent is not None and parent.type == "assignment_expression":
            name = parent.child_by_field_name("left")
            if name is not None and name.type == "member_expression":
                name = name.child_by_field_name("property")
    return _text(name) if name is not None and name.type in ("identifier", "property_identifier") else None


def _is_iife(node: Any) -> bool:
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is not None and parent.type == "call_expression":
        return True
    if parent is not None and parent.type == "unary_expression":  # !function(){}()
        return (parent.parent is not None and parent.parent.type == "call_expression") or True
    return False


def _descendants(node: Any, limit: int = 100_000) -> list[Any]:
    out: list[Any] = []
    stack = [node]
    while stack and len(out) < limit:
        n = stack.pop()
        out.append(n)
        stack.extend(n.named_children)
    return out


def _value_parts(node: Any, limit: int) -> list[Any]:
    """The nodes whose data a value carries: all of it, except that a function literal inside it carries
    only what it returns (its ``return`` expressions, or an arrow's expression body).

    A function value holds no data until it is called, and then yields its returns. Without this, a
    bundle's module wrapper (``var require_x = __commonJS({ "x"(exports, module) { ... } })``) carried
    every environment read of the module's code into each name bound to it, and from there into every
    request that uses the module (miniflare's proxy agent).
    """
    out: list[Any] = []
    stack: list[tuple[Any, bool]] = [(node, True)]  # (node, taken): untaken nodes are searched for returns
    while stack and len(out) < limit:
        n, taken = stack.pop()
        t = n.type
        if t in FUNCTION_TYPES:
            body = n.child_by_field_name("body")
            if body is None:
                continue
            if t == "arrow_function" and body.type != "statement_block":
                stack.append((body, True))
            else:
                stack.append((body, False))
            continue
        if taken:
            out.append(n)
            stack.extend((c, True) for c in n.named_children)
        elif t == "return_statement":
            stack.extend((c, True) for c in n.named_children)
        else:
            stack.extend((c, False) for c in n.named_children if c.type not in FUNCTION_TYPES)
    return out


def _env_pattern_labels(pattern: Any) -> list[tuple[list[str], set[str]]]:
    """Labels of the names ``const { A, B: b, ...rest } = process.env`` binds: each one variable, a secret
    only when its name says so; the rest of the environment is a dump."""
    out: list[tuple[list[str], set[str]]] = []
    for c in pattern.named_children:
        if c.type == "rest_pattern":
            out.append((_pattern_names(c), {"source:env-dump"}))
            continue
        key = c.child_by_field_name("key") if c.type == "pair_pattern" else \
            c.child_by_field_name("left") if c.type == "object_assignment_pattern" else c
        if key is None or not SECRET_ENV_RE.search(_text(key)):
            continue
        bound = c.child_by_field_name("value") if c.type == "pair_pattern" else key
        if bound is not None and bound.type == "assignment_pattern":  # { A: a = "default" }
            bound = bound.child_by_field_name("left")
        out.append((_pattern_names(bound or key), {"source:env-secret", ind.ENV_NAME_LABEL + _text(key)}))
    return out


def _parameter_names(fn: Any) -> list[str]:
    """The names a function literal binds as parameters (``m``, ``(err, res, body)``, ``({ data })``)."""
    single = fn.child_by_field_name("parameter")
    if single is not None:
        return _pattern_names(single)
    params = fn.child_by_field_name("parameters")
    return [n for p in params.named_children for n in _pattern_names(p)] if params is not None else []


def _pattern_names(node: Any) -> list[str]:
    if node.type == "identifier":
        return [_text(node)]
    return [_text(n) for n in _descendants(node, 200) if n.type in ("identifier", "shorthand_property_identifier_pattern")]  # noqa: E501

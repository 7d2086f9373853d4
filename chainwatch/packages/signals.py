"""Signals: one observed capability or indicator in one place of a package, with its evidence.

A signal is a fact ("this file calls subprocess at install time"), never a verdict; ``judge`` combines
signals into findings. Signals are JSON-able so they travel in ``MemberRecord.features["package"]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# phases, from most to least reachable
INSTALL = "install"  # runs when the package is installed (setup.py, .pth at next start, npm install scripts)
IMPORT = "import"  # runs when the package is imported (top-level code of modules)
RUNTIME = "runtime"  # runs only when a function is called

# signal kinds
EXEC_DYNAMIC = "exec.dynamic"  # exec/eval/compile/Function of a non-literal
EXEC_DECODED = "exec.decoded"  # exec/eval of something decoded or decrypted in place
PROCESS = "exec.process"  # spawning a process / shell
PROCESS_DOWNLOADER = "exec.shell-downloader"  # shell command that fetches and runs (curl|sh, powershell iwr, ...)
NETWORK = "net.request"  # any network call
NETWORK_SEND = "net.send"  # network call that carries data (POST body, query built from data, DNS name)
DOWNLOAD_EXEC = "net.download-exec"  # fetched content executed or written-and-run
WRITE_EXEC = "file.write-exec"  # writes a file then runs it
SOURCE_ENV_DUMP = "source.env-dump"  # the whole environment
SOURCE_ENV_SECRET = "source.env-secret"  # a named secret variable
SOURCE_CREDENTIAL = "source.credential-file"  # ~/.ssh, ~/.aws, .npmrc, browser/discord/wallet stores
SOURCE_SYSINFO = "source.sysinfo"  # hostname, user name, public IP
SOURCE_CLIPBOARD = "source.clipboard"
SOURCE_SCREEN = "source.screenshot"
EXFIL_FLOW = "flow.exfiltration"  # a source reaches a network sink in one scope
PERSISTENCE = "persist.startup"
ENDPOINT = "endpoint.shady"  # webhook, paste site, tunnel, OAST, raw public IP
ENDPOINT_TOKEN = "endpoint.bot-token"  # a concrete Discord webhook / Telegram bot URL with its secret
OBF_DECODED = "obf.decoded-payload"  # a literal that decodes (base64/hex/zlib/chr-list/fernet) to code or URLs
OBF_OBFUSCATOR = "obf.obfuscator"  # output of a known obfuscator (Hyperion, PyArmor, javascript-obfuscator)
OBF_ALIAS = "obf.builtin-alias"  # exec/eval reached through an alias, getattr(builtins, ...) or chr-joined names
OBF_LONG_LINE = "obf.long-line"  # huge single line in a source file
OBF_UNICODE = "obf.unicode"  # bidi controls / homoglyph identifiers in code
BINARY = "binary.embedded"  # executable file inside a source package
PICKLE_CALL = "exec.pickle-call"  # a shipped pickle names a command/code-running callable (runs on load)
RUN_SHIPPED = "exec.shipped-binary"  # code run at install/import starts an executable the package ships
DEP_SUSPICIOUS = "meta.suspicious-dependency"
DEP_REMOTE = "meta.remote-dependency"  # a dependency fetched from a URL or a git repository, not the registry
META_TYPOSQUAT = "meta.typosquat"
META_ODD_VERSION = "meta.odd-version"
META_EMPTY = "meta.empty"
META_BIN_SHADOW = "meta.bin-shadow"  # an npm bin named like a core command (npm, node, git, sudo...)
INSTALL_HOOK = "install.hook"  # an install-time hook exists (npm script, cmdclass, .pth with code)
PARSE_ERROR = "code.unparsable"


@dataclass
class Signal:
    kind: str
    file: str
    line: int = 0
    snippet: str = ""
    phase: str = RUNTIME
    detail: dict[str, Any] = field(default_factory=dict)
    decoded: int = 0  # decoding depth it was found at (0 = in the shipped text)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not out["detail"]:
            del out["detail"]
        if not out["decoded"]:
            del out["decoded"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        return cls(kind=data["kind"], file=data.get("file", ""), line=int(data.get("line", 0)),
                   snippet=data.get("snippet", ""), phase=data.get("phase", RUNTIME),
                   detail=dict(data.get("detail") or {}), decoded=int(data.get("decoded", 0)))


def snippet_of(text: str, line: int, width: int = 160) -> str:
    """The source line (1-based), trimmed, for evidence."""
    if line <= 0:
        return ""
    lines = text.splitlines()
    if line > len(lines):
        return ""
    s = lines[line - 1].strip()
    return s if len(s) <= width else s[: width - 1] + "…"

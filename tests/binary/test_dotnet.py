""".NET facts of the strong-named Python.Runtime.dll (pythonnet 3.2.1) and refusal of native PEs."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.analyzers.pe import DotnetAnalyzer
from chainwatch.binary import BinaryFormatError
from chainwatch.binary.dotnet import dotnet_facts
from chainwatch.models import MemberRecord
from tests.binary.test_pe_support import VCRUNTIME

PYTHON_RUNTIME = "binaries/pe/unsigned/dotnet/Python.Runtime.dll"


@pytest.fixture(scope="module")
def runtime_facts(corpus: Path) -> dict:
    """dnfile loads every metadata table (pure Python, ~1-3 s here): parse once per module."""
    return dotnet_facts(corpus / PYTHON_RUNTIME)


def test_python_runtime_facts(runtime_facts: dict) -> None:
    facts = runtime_facts
    assert facts["assembly_name"] == "Python.Runtime"
    assert facts["assembly_version"] == "3.2.1.0"
    assert facts["strong_name"] == {"flag": True, "signature_size": 128, "present": True}
    assert facts["public_key_sha1"] and len(facts["public_key_sha1"]) == 40
    refs = {r["name"] for r in facts["references"]}
    assert "netstandard" in refs
    assert facts["type_count"] == len(facts["types"]) > 100
    assert "Python.Runtime.PythonEngine" in facts["types"]
    assert any("/" in t for t in facts["types"])  # nested types are qualified with their enclosing type
    assert facts["method_count"] > 1000 and len(facts["methods_sha256"]) == 64
    assert "clr.py" in facts["resources"]
    assert facts["il_only"] is True


def test_method_hash_covers_sorted_qualified_method_names(runtime_facts: dict, corpus: Path) -> None:
    """Recompute the hash independently through dnfile's own TypeDef.MethodList links."""
    import hashlib

    import dnfile

    pe = dnfile.dnPE(str(corpus / PYTHON_RUNTIME))
    tables = pe.net.mdtables
    names = {row.TypeName.value if hasattr(row.TypeName, "value") else str(row.TypeName) for row in tables.TypeDef}
    assert {t.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for t in runtime_facts["types"]} <= names | {"<Module>"}
    count = sum(len(row.MethodList) for row in tables.TypeDef)
    assert count == runtime_facts["method_count"]
    assert runtime_facts["methods_sha256"] != hashlib.sha256(b"").hexdigest()
    pe.close()


def test_dotnet_analyzer_picks_only_clr_images(corpus: Path) -> None:
    analyzer = DotnetAnalyzer()
    dotnet_head = (corpus / PYTHON_RUNTIME).read_bytes()[:65536]
    native_head = (corpus / VCRUNTIME).read_bytes()[:65536]
    assert analyzer.applies(MemberRecord(path="a", size=1, type="pe"), dotnet_head)
    assert not analyzer.applies(MemberRecord(path="b", size=1, type="pe"), native_head)
    with pytest.raises(BinaryFormatError):
        dotnet_facts(corpus / VCRUNTIME)

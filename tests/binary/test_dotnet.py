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
    """Parse once per module."""
    return dotnet_facts(corpus / PYTHON_RUNTIME)


def test_python_runtime_facts(runtime_facts: dict) -> None:
    facts = runtime_facts
    assert facts["assembly_name"] == "Python.Runtime"
    assert facts["assembly_version"] == "3.2.1.0"
    assert facts["strong_name"] is True
    assert facts["strong_name_flag"] is True and facts["strong_name_signature_size"] == 128
    assert facts["public_key_sha1"] and len(facts["public_key_sha1"]) == 40
    assert "netstandard" in facts["references"]
    assert facts["reference_versions"]["netstandard"] == "2.0.0.0"
    assert facts["type_count"] == len(facts["types"]) > 100
    assert "Python.Runtime.PythonEngine" in facts["types"]
    assert any("/" in t for t in facts["types"])  # nested types are qualified with their enclosing type
    assert facts["method_count"] > 1000 and len(facts["methods_sha256"]) == 64
    assert "clr.py" in facts["resources"]
    assert facts["il_only"] is True


def test_method_hash_equals_dnfile_resolved_tables(runtime_facts: dict, corpus: Path) -> None:
    """Oracle: the same hash from dnfile's fully resolved rows (TypeDef.MethodList, NestedClass links)."""
    import hashlib

    import dnfile

    pe = dnfile.dnPE(str(corpus / PYTHON_RUNTIME))
    tables = pe.net.mdtables
    simple = [f"{row.TypeNamespace}.{row.TypeName}" if str(row.TypeNamespace) else str(row.TypeName)
              for row in tables.TypeDef]
    outer = {row.NestedClass.row_index: row.EnclosingClass.row_index for row in tables.NestedClass}

    def qualified(index: int) -> str:
        parts = [simple[index - 1]]
        while index in outer:
            index = outer[index]
            parts.append(simple[index - 1])
        return "/".join(reversed(parts))

    methods = [f"{qualified(number)}::{ref.row.Name}"
               for number, row in enumerate(tables.TypeDef, start=1) for ref in row.MethodList]
    pe.close()
    assert len(methods) == runtime_facts["method_count"]
    assert hashlib.sha256("\n".join(sorted(methods)).encode()).hexdigest() == runtime_facts["methods_sha256"]
    assert sorted(qualified(i) for i in range(1, len(simple) + 1)) == runtime_facts["types"]


def test_dotnet_analyzer_picks_only_clr_images(corpus: Path) -> None:
    analyzer = DotnetAnalyzer()
    dotnet_head = (corpus / PYTHON_RUNTIME).read_bytes()[:65536]
    native_head = (corpus / VCRUNTIME).read_bytes()[:65536]
    assert analyzer.applies(MemberRecord(path="a", size=1, type="pe"), dotnet_head)
    assert not analyzer.applies(MemberRecord(path="b", size=1, type="pe"), native_head)
    with pytest.raises(BinaryFormatError):
        dotnet_facts(corpus / VCRUNTIME)


def test_corrupted_metadata_is_an_error_or_facts_never_a_crash(corpus: Path, tmp_path: Path) -> None:
    import random

    data = (corpus / PYTHON_RUNTIME).read_bytes()
    at = data.find(b"#~\0")  # stream header; the table stream follows the metadata root
    root = data.find(b"BSJB")
    assert at > 0 and root > 0
    rng = random.Random(3)
    for trial in range(6):
        mutated = bytearray(data)
        for _ in range(40):
            spot = rng.randrange(root, min(len(data), root + 60_000))
            mutated[spot] = rng.randrange(256)
        path = tmp_path / f"m{trial}.dll"
        path.write_bytes(bytes(mutated))
        try:
            facts = dotnet_facts(path)
        except BinaryFormatError:
            continue
        assert isinstance(facts["types"], list) and isinstance(facts["methods_sha256"], str)

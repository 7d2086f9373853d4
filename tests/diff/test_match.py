from chainwatch.diff.match import match, normalise_component, normalise_key, root_of, strip_root
from chainwatch.models import MemberRecord
from tests.diff.factories import root, sha


def rec(path: str, content: str, kind: str = "pe/dll", tlsh: str | None = None, parent: str | None = None):
    return MemberRecord(path=path, size=len(content), type=kind, sha256=sha(content), tlsh=tlsh, depth=1,
                        parent=parent)


def test_strip_root_handles_directories_and_containers():
    assert strip_root("app-1.0/x.dll", "app-1.0") == "x.dll"
    assert strip_root("a-1.0.whl!/pkg/x", "a-1.0.whl") == "pkg/x"
    assert strip_root("a-1.0.whl", "a-1.0.whl") == ""


def test_normalise_drops_versions_and_build_hashes():
    assert normalise_component("avcodec-61-c8330eb81870e3af14e443e7b2899bae.dll") == "avcodec-61.dll"
    assert normalise_component("av-14.0.0.dist-info") == normalise_component("av-14.0.1.dist-info")
    assert normalise_key("requests-2.34.1/setup.py") == normalise_key("requests-2.34.2/setup.py")
    assert normalise_component("avcodec-61.dll") != normalise_component("avformat-61.dll")


def test_match_by_path_normalised_hash_and_tlsh():
    lib1, lib2 = "av.libs/avcodec-61-" + "1" * 32 + ".dll", "av.libs/avcodec-61-" + "2" * 32 + ".dll"
    old = [root("app-1.0"), rec("app-1.0/ffmpeg.dll", "a"), rec(f"app-1.0/{lib1}", "b"),
           rec("app-1.0/old/name.dll", "moved"), rec("app-1.0/gone.txt", "gone", "text")]
    new = [root("app-1.1"), rec("app-1.1/ffmpeg.dll", "a2"), rec(f"app-1.1/{lib2}", "b"),
           rec("app-1.1/new/place.dll", "moved"), rec("app-1.1/fresh.exe", "fresh", "pe/exe")]
    assert root_of(old) == "app-1.0"
    pairs = {(p.old.path if p.old else None, p.new.path if p.new else None): p.how for p in match(old, new)}
    assert pairs[("app-1.0", "app-1.1")] == "root"
    assert pairs[("app-1.0/ffmpeg.dll", "app-1.1/ffmpeg.dll")] == "path"
    assert pairs[(f"app-1.0/{lib1}", f"app-1.1/{lib2}")] == "normalised"
    assert pairs[("app-1.0/old/name.dll", "app-1.1/new/place.dll")] == "sha256"
    assert pairs[("app-1.0/gone.txt", None)] == "removed"
    assert pairs[(None, "app-1.1/fresh.exe")] == "added"


def test_match_renamed_edited_file_by_tlsh():
    import random

    import tlsh

    rnd = random.Random(7)
    data = bytes(rnd.getrandbits(8) for _ in range(4096))
    edited = data[:2000] + b"x" * 40 + data[2040:]
    h1, h2 = tlsh.hash(data), tlsh.hash(edited)
    old = [root("r1"), rec("r1/lib_a.so", "1", "elf", h1)]
    new = [root("r2"), rec("r2/lib_b.so", "2", "elf", h2)]
    pairs = [p for p in match(old, new) if p.how == "tlsh"]
    assert len(pairs) == 1 and pairs[0].distance is not None and pairs[0].changed

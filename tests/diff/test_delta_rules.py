"""Delta rules on member records with realistic facts: an honest bump stays quiet, 3CX-like changes top the list."""

from __future__ import annotations

from chainwatch.diff.engine import diff_reports
from chainwatch.models import MemberRecord, Report, Severity, Verdict
from tests.diff.factories import evolve, pe_record, root, sha

MS = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"


def release(name: str, version: str, members: list[MemberRecord], **extra_root) -> Report:
    r = root(name)
    for m in members:
        m.path = f"{name}/{m.path.split('/', 1)[1]}"
        m.parent = name
    return Report(target=name, inventory=[r, *members], artifact={"name": "app", "version": version, **extra_root})


def app_v1() -> list[MemberRecord]:
    return [
        pe_record("x/ffmpeg.dll", content="ffmpeg-1", version="4.4.0.0"),
        pe_record("x/d3dcompiler_47.dll", content="d3d-1", version="10.0.20348.1", product="Microsoft Windows",
                  signer=MS),
        pe_record("x/app.exe", content="app-1", version="18.12.400", product="3CX", signer="CN=3CX Ltd"),
    ]


def rules_of(report: Report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_honest_bump_stays_quiet():
    v1 = app_v1()
    v2 = [
        evolve(v1[0], content="ffmpeg-2", pe__version_info={**v1[0].features["pe"]["version_info"],
                                                           "FileVersion": "4.4.1.0", "ProductVersion": "4.4.1.0"}),
        evolve(v1[1], content="d3d-1"),  # identical
        evolve(v1[2], content="app-2", pe__version_info={**v1[2].features["pe"]["version_info"],
                                                        "FileVersion": "18.12.407"}, pe__timestamp=1_670_000_000),
    ]
    report = diff_reports(release("app-18.12.400", "18.12.400", v1), release("app-18.12.407", "18.12.407", v2))
    assert report.command == "diff"
    assert report.verdict == Verdict.CLEAN
    assert all(f.severity <= Severity.LOW for f in report.findings), [f.to_dict() for f in report.findings]
    changes = report.extra["changes"]
    assert {m["path"].rsplit("/", 1)[-1] for m in changes["modified"]} >= {"ffmpeg.dll", "app.exe"}
    assert changes["unchanged"] >= 1


def test_3cx_like_release_is_critical_and_on_top():
    v1 = app_v1()
    ff = v1[0]
    trojan_ff = evolve(
        ff, content="ffmpeg-trojan",
        pe__sections=ff.features["pe"]["sections"] + [{"name": ".text2", "virtual_size": 8192, "raw_size": 8192,
                                                       "entropy": 7.1, "executable": True, "writable": False}],
        pe__entry_section=".text2",
        pe__imports={**ff.features["pe"]["imports"], "KERNEL32.dll": ff.features["pe"]["imports"]["KERNEL32.dll"]
                     + ["VirtualProtect", "CreateEventW", "ReadFile"]},
    )
    d3d = v1[1]
    slack = {"offset": 98995, "length": 4096, "entropy": 7.95, "all_zero": False, "sigflip_tag": True}
    trojan_d3d = evolve(d3d, content="d3d-payload")
    trojan_d3d.features["authenticode"]["cert_table"]["entries"][0]["slack"] = slack
    v2 = [trojan_ff, trojan_d3d, evolve(v1[2], content="app-2")]
    report = diff_reports(release("app-18.12.400", "18.12.407", v1), release("app-18.12.407", "18.12.416", v2))
    by_rule = rules_of(report)
    assert report.verdict == Verdict.MALICIOUS
    top = report.findings[:2]  # the two criticals a reviewer reads first
    assert {f.rule for f in top} == {"diff.trojanized-member", "diff.cert-table-slack"}
    assert by_rule["diff.trojanized-member"][0].path.endswith("ffmpeg.dll")
    assert by_rule["diff.cert-table-slack"][0].severity == Severity.CRITICAL
    assert by_rule["diff.cert-table-slack"][0].evidence["after"]["sigflip_tag"] is True
    for rule in ("diff.version-unchanged", "diff.new-exec-section", "diff.entrypoint-moved", "diff.new-exec-imports"):
        assert any(f.path.endswith("ffmpeg.dll") for f in by_rule[rule]), rule
    ep = by_rule["diff.entrypoint-moved"][0]
    assert ep.evidence["before"]["section"] == ".text" and ep.evidence["after"]["section"] == ".text2"
    modified = report.extra["changes"]["modified"]
    assert modified[0]["path"].endswith(("ffmpeg.dll", "d3dcompiler_47.dll"))
    assert "pe" in modified[0]["delta"] or "authenticode" in modified[0]["delta"]


def test_signature_lost_and_signer_changed():
    v1 = app_v1()
    unsigned = evolve(v1[2], content="app-2", authenticode__status="unsigned", authenticode__signed=False,
                      authenticode__signatures=[])
    resigned = evolve(v1[1], content="d3d-2")
    resigned.features["authenticode"]["signatures"][0]["signer_subject"] = "CN=Totally Legit Software LLC"
    report = diff_reports(release("a-1", "1", v1), release("a-2", "2", [v1[0], resigned, unsigned]))
    by_rule = rules_of(report)
    assert by_rule["diff.signature-lost"][0].path.endswith("app.exe")
    assert by_rule["diff.signer-changed"][0].evidence["after"] == "CN=Totally Legit Software LLC"
    report = diff_reports(release("a-1", "1", v1), release("a-2", "2", [v1[0], resigned, v1[2]]))
    sibling = rules_of(report)["diff.sibling-signer-new"][0]
    assert sibling.path.endswith("d3dcompiler_47.dll") and sibling.evidence["siblings"] == ["CN=3CX Ltd"]


def test_serial_renewal_is_info_only():
    v1 = app_v1()
    renewed = evolve(v1[1], content="d3d-2", pe__version_info={**v1[1].features["pe"]["version_info"],
                                                               "FileVersion": "10.0.20348.2"})
    renewed.features["authenticode"]["signatures"][0]["serial"] = "33000004"
    report = diff_reports(release("a-1", "1", v1), release("a-2", "2", [v1[0], renewed, v1[2]]))
    assert [f.severity for f in report.findings if f.rule == "diff.signer-changed"] == [Severity.INFO]
    assert report.verdict == Verdict.CLEAN


def test_version_backwards_and_compile_time():
    v1 = app_v1()
    older = evolve(v1[2], content="app-old", pe__timestamp=1_600_000_000,
                   pe__version_info={**v1[2].features["pe"]["version_info"], "FileVersion": "18.10.1"})
    report = diff_reports(release("a-1", "18.12.400", v1), release("a-2", "18.10.1", [v1[0], v1[1], older]))
    rules = {f.rule for f in report.findings}
    assert {"diff.version-backwards", "diff.compile-time"} <= rules
    assert report.verdict != Verdict.CLEAN


def elf_record(path: str, content: str, **elf) -> MemberRecord:
    facts = {"type": "DYN", "machine": "x86_64", "needed": ["libc.so.6"], "init_array": ["0x1100"], "ifuncs": [],
             "imports": ["malloc", "free"], "sections": [{"name": ".text", "executable": True}]}
    facts.update(elf)
    return MemberRecord(path=path, size=1000, type="elf/so", sha256=sha(content), depth=1, features={"elf": facts})


def test_elf_new_ifunc_and_needed():
    old = elf_record("x/liblzma.so.5", "1")
    new = elf_record("x/liblzma.so.5", "2", ifuncs=["crc64_resolve"], needed=["libc.so.6", "libcrypto.so.3"],
                     imports=["malloc", "free", "system"])
    report = diff_reports(release("x-5.6.0", "5.6.0", [old]), release("x-5.6.1", "5.6.1", [new]))
    rules = {f.rule: f for f in report.findings}
    assert rules["diff.elf-new-init"].severity == Severity.HIGH
    assert rules["diff.elf-new-needed"].evidence["added"] == ["libcrypto.so.3"]
    assert "diff.new-exec-imports" in rules


def test_macho_new_dylib():
    def mrec(content: str, dylibs: list[str]) -> MemberRecord:
        return MemberRecord(path="x/libffmpeg.dylib", size=10, type="macho/dylib", sha256=sha(content), depth=1,
                            features={"macho": {"slices": [{"arch": "arm64", "dylibs": dylibs,
                                                            "codesign": {"kind": "developer-id",
                                                                         "team_id": "33CF4654HL"}}]}})
    report = diff_reports(release("m-1", "1", [mrec("1", ["/usr/lib/libSystem.B.dylib"])]),
                          release("m-2", "2", [mrec("2", ["/usr/lib/libSystem.B.dylib", "@rpath/libupdate.dylib"])]))
    f = next(f for f in report.findings if f.rule == "diff.macho-new-dylib")
    assert f.severity == Severity.HIGH and f.evidence["added"] == ["@rpath/libupdate.dylib"]


def test_dotnet_types_added_same_version():
    def drec(content: str, types: list[str]) -> MemberRecord:
        return MemberRecord(path="x/SolarWinds.Orion.Core.BusinessLayer.dll", size=10, type="pe/dotnet",
                            sha256=sha(content), depth=1,
                            features={"dotnet": {"assembly_version": "2019.4.5200.9083", "types": types,
                                                 "type_count": len(types)}})
    base = ["Orion.A", "Orion.B"]
    report = diff_reports(release("o-1", "1", [drec("1", base)]),
                          release("o-2", "2", [drec("2", [*base, "OrionImprovementBusinessLayer", "Job", "Proxy"])]))
    f = next(f for f in report.findings if f.rule == "diff.dotnet-types-added")
    assert f.severity == Severity.HIGH and "OrionImprovementBusinessLayer" in f.evidence["added_types"]


def pkg_root(name: str, facts: dict) -> MemberRecord:
    return MemberRecord(path=name, size=100, type="archive/tgz", sha256=sha(name), depth=0, container=True,
                        features={"package": facts})


def test_npm_install_hook_and_patch_dependency():
    old = pkg_root("ua-parser-js-0.7.28.tgz", {"ecosystem": "npm", "name": "ua-parser-js", "version": "0.7.28",
                                               "install_hooks": [], "dependencies": {}})
    new = pkg_root("ua-parser-js-0.7.29.tgz", {
        "ecosystem": "npm", "name": "ua-parser-js", "version": "0.7.29",
        "install_hooks": [{"kind": "npm-script", "name": "preinstall", "command": "start /B node preinstall.js"}],
        "dependencies": {"flatmap-stream": "0.1.1"}})
    old_r = Report(target=old.path, inventory=[old], artifact={"name": "ua-parser-js", "version": "0.7.28",
                                                               "ecosystem": "npm"})
    new_r = Report(target=new.path, inventory=[new], artifact={"name": "ua-parser-js", "version": "0.7.29",
                                                               "ecosystem": "npm"})
    report = diff_reports(old_r, new_r)
    rules = {f.rule: f for f in report.findings}
    assert rules["diff.new-install-hook"].severity == Severity.HIGH
    assert rules["diff.new-dependency"].severity == Severity.MEDIUM  # added in a patch release
    assert report.verdict != Verdict.CLEAN


def test_component_mismatch_uses_known_good_builds(tmp_path):
    from chainwatch.diff.components import ComponentStore
    from chainwatch.store import open_store

    store = open_store(tmp_path / "s.db")
    v1 = app_v1()
    trusted = release("electron-22", "22.0.0", [pe_record("x/ffmpeg.dll", content="ffmpeg-1", version="4.4.0.0")])
    assert ComponentStore(store.conn).learn(trusted, "electron 22") == 1
    swapped = evolve(v1[0], content="ffmpeg-evil")
    report = diff_reports(release("a-1", "1", v1), release("a-2", "2", [swapped, v1[1], v1[2]]),
                          known_components=ComponentStore(store.conn).lookup)
    f = next(f for f in report.findings if f.rule == "diff.component-mismatch")
    assert f.severity == Severity.HIGH and f.evidence["after"] == swapped.sha256
    store.close()


def test_rules_tolerate_missing_facts():
    old = MemberRecord(path="a-1/x.dll", size=1, type="pe/dll", sha256=sha("1"), depth=1, parent="a-1",
                       features={"pe": {}})
    new = MemberRecord(path="a-2/x.dll", size=2, type="pe/dll", sha256=sha("2"), depth=1, parent="a-2",
                       features={"authenticode": {"cert_table": None}})
    report = diff_reports(release("a-1", "1", [old]), release("a-2", "2", [new]))
    assert not report.errors


def test_many_low_findings_collapse_into_one_line():
    from chainwatch.models import MemberRecord as M

    old = [M(path=f"p-1/pkg/m{i}.py", size=1, type="script/python", sha256=sha(f"o{i}"), depth=1, parent="p-1")
           for i in range(2)]
    new = [M(path=f"p-2/pkg/m{i}.py", size=1, type="script/python", sha256=sha(f"o{i}"), depth=1, parent="p-2")
           for i in range(2)]
    new += [M(path=f"p-2/pkg/new{i}.py", size=1, type="script/python", sha256=sha(f"n{i}"), depth=1, parent="p-2")
            for i in range(9)]
    report = diff_reports(release("p-1", "1.0", old), release("p-2", "1.1", new))
    scripts = [f for f in report.findings if f.rule == "diff.new-script"]
    assert len(scripts) == 1 and scripts[0].evidence["count"] == 9
    assert report.extra["changes"]["counts"]["added"] == 9


def test_scan_finding_restated_by_a_delta_is_dropped():
    from chainwatch.models import Finding

    v1 = app_v1()
    d3d = v1[1]
    slack = {"offset": 98995, "length": 4096, "entropy": 7.95, "all_zero": False, "sigflip_tag": True}
    bad = evolve(d3d, content="d3d-payload")
    bad.features["authenticode"]["cert_table"]["entries"][0]["slack"] = slack
    new = release("a-2", "2", [v1[0], bad, v1[2]])
    new.findings = [Finding("authenticode.cert-table-slack", Severity.CRITICAL, bad.path, "slack"),
                    Finding("pe.something-else", Severity.MEDIUM, bad.path, "other")]
    report = diff_reports(release("a-1", "1", app_v1()), new)
    rules = [f.rule for f in report.findings]
    assert "authenticode.cert-table-slack" not in rules and "pe.something-else" in rules
    assert report.findings[0].rule == "diff.cert-table-slack"


def test_new_sideloading_dll_next_to_signed_app():
    v1 = app_v1()
    planted = pe_record("x/version.dll", content="planted", version="1.0.0.0", product="x")
    planted.features["capabilities"] = [{"id": "payload-from-file", "name": "reads a payload from a file",
                                         "common": False}]
    report = diff_reports(release("a-1", "1", v1), release("a-2", "2", [*app_v1(), planted]))
    f = next(f for f in report.findings if f.rule == "diff.new-executable")
    assert f.severity == Severity.HIGH and "sideloading" in f.message
    assert report.verdict != Verdict.CLEAN

"""STIX 2.1 and MISP: import what we export, and hand-written real-format samples."""

from __future__ import annotations

import json
from pathlib import Path

import stix2

from chainwatch.intel.export import export_bundle, export_sightings
from chainwatch.intel.importers.misp import read_misp
from chainwatch.intel.importers.stix import read_stix_bundle
from chainwatch.intel.importers.tabular import parse_mapping, read_csv, read_plain
from chainwatch.intel.model import IndicatorKind
from chainwatch.intel.packs import builtin_indicators
from chainwatch.models import Finding, Report, Severity

STIX_SAMPLE = {
    "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
    "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "created": "2023-03-30T10:00:00.000Z", "modified": "2023-03-30T10:00:00.000Z",
         "name": "3CX MSI", "pattern_type": "stix", "valid_from": "2023-03-30T00:00:00Z",
         "pattern": "[file:hashes.'SHA-256' = '59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983'] OR "
                    "[file:hashes.MD5 = '0eeb1c0133eb4d571178b2d9d14ce3e9']",
         "external_references": [{"source_name": "Volexity", "url": "https://www.volexity.com/"}]},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
         "created": "2023-03-30T10:00:00.000Z", "modified": "2023-03-30T10:00:00.000Z", "pattern_type": "stix",
         "valid_from": "2023-03-30T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z",
         "pattern": "[domain-name:value = 'msstorageazure.com'] OR [ipv4-addr:value = '198.51.100.7'] OR "
                    "[url:value = 'https://glcloudservice.com/v1/status'] OR "
                    "[x509-certificate:serial_number = '1b:66:11:df:9c:9a:4d:6e:cc:8e:d5:0c:9b:91:78:73']"},
        {"type": "campaign", "spec_version": "2.1", "id": "campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c",
         "created": "2023-03-30T10:00:00.000Z", "modified": "2023-03-30T10:00:00.000Z", "name": "SmoothOperator"},
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
         "created": "2023-03-30T10:00:00.000Z", "modified": "2023-03-30T10:00:00.000Z",
         "relationship_type": "indicates", "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "target_ref": "campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c"},
    ],
}

MISP_EVENT = {"Event": {
    "uuid": "5e6b9f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "info": "3CX supply chain", "date": "2023-03-29",
    "threat_level_id": "1", "analysis": "2",
    "Attribute": [
        {"uuid": "a1", "type": "sha256", "category": "Payload delivery", "to_ids": True,
         "value": "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896", "comment": "ffmpeg.dll"},
        {"uuid": "a2", "type": "domain", "category": "Network activity", "to_ids": True, "value": "pbxsources.com"},
        {"uuid": "a3", "type": "ip-dst", "category": "Network activity", "to_ids": True, "value": "203.0.113.9"},
        {"uuid": "a4", "type": "filename|md5", "category": "Payload delivery", "to_ids": True,
         "value": "ffmpeg.dll|74bc2d0b6680faa1a5a76b27e5479cbc"},
        {"uuid": "a5", "type": "mutex", "category": "Artifacts dropped", "to_ids": True,
         "value": "AVMonitorRefreshEvent"},
        {"uuid": "a6", "type": "x509-fingerprint-sha1", "category": "Payload delivery", "to_ids": True,
         "value": "aabbccddeeff00112233445566778899aabbccdd"},
        {"uuid": "a7", "type": "yara", "category": "Payload installation", "to_ids": False,
         "value": "rule misp_rule { strings: $a = \"3jB(2bsG#@c7\" condition: $a }"},
        {"uuid": "a8", "type": "comment", "category": "Other", "to_ids": False, "value": "not an indicator"},
    ],
    "Object": [{"name": "file", "Attribute": [
        {"uuid": "o1", "type": "sha1", "to_ids": True, "value": "bf939c9c261d27ee7bb92325cc588624fca75429"}]}],
}}


def test_stix_round_trip_of_our_packs(tmp_path: Path) -> None:
    items = list(builtin_indicators())
    bundle, skipped = export_bundle(items)
    stix2.parse(bundle.serialize(), allow_custom=True)  # valid STIX 2.1 for the reference library
    path = tmp_path / "packs.json"
    path.write_text(bundle.serialize())
    back = list(read_stix_bundle(path))
    assert {(i.kind, i.value) for i in back} == {(i.kind, i.value) for i in items
                                                 if i.kind != IndicatorKind.URL_PATH}
    assert skipped == sum(i.kind == IndicatorKind.URL_PATH for i in items)
    campaigns = {i.campaign for i in back}
    assert any(c and "3CX" in c for c in campaigns)
    yara = [i for i in back if i.kind == IndicatorKind.YARA]
    assert yara and all("rule " in i.value for i in yara)


def test_stix_hand_written_sample(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(STIX_SAMPLE))
    items = {(i.kind, i.value): i for i in read_stix_bundle(path)}
    sha = items[(IndicatorKind.SHA256, "59e1edf4d82fae4978e97512b0331b7eb21dd4b838b850ba46794d9c7a2c0983")]
    assert sha.campaign == "SmoothOperator" and sha.reference == "https://www.volexity.com/"
    assert (IndicatorKind.MD5, "0eeb1c0133eb4d571178b2d9d14ce3e9") in items
    assert (IndicatorKind.DOMAIN, "msstorageazure.com") in items
    assert (IndicatorKind.IP, "198.51.100.7") in items
    assert (IndicatorKind.URL, "https://glcloudservice.com/v1/status") in items
    serial = items[(IndicatorKind.CERT_SERIAL, "1b6611df9c9a4d6ecc8ed50c9b917873")]
    assert serial.expires == "2099-01-01T00:00:00Z"


def test_misp_event_file_and_feed_folder(tmp_path: Path) -> None:
    single = tmp_path / "event.json"
    single.write_text(json.dumps(MISP_EVENT))
    items = list(read_misp(single))
    kinds = {(i.kind, i.value) for i in items}
    assert (IndicatorKind.SHA256, "7986bbaee8940da11ce089383521ab420c443ab7b15ed42aed91fd31ce833896") in kinds
    assert (IndicatorKind.DOMAIN, "pbxsources.com") in kinds and (IndicatorKind.IP, "203.0.113.9") in kinds
    assert (IndicatorKind.MD5, "74bc2d0b6680faa1a5a76b27e5479cbc") in kinds
    assert (IndicatorKind.MUTEX, "AVMonitorRefreshEvent") in kinds
    assert (IndicatorKind.CERT_THUMBPRINT, "aabbccddeeff00112233445566778899aabbccdd") in kinds
    assert (IndicatorKind.SHA1, "bf939c9c261d27ee7bb92325cc588624fca75429") in kinds
    assert any(i.kind == IndicatorKind.YARA for i in items)
    assert any(i.kind == IndicatorKind.FILENAME and "ffmpeg" in i.value for i in items)
    assert all(i.campaign == "3CX supply chain" and i.score == 90 for i in items)
    feed = tmp_path / "feed"
    feed.mkdir()
    uuid = MISP_EVENT["Event"]["uuid"]
    (feed / "manifest.json").write_text(json.dumps({uuid: {"info": "3CX supply chain", "timestamp": "1680000000"}}))
    (feed / f"{uuid}.json").write_text(json.dumps(MISP_EVENT))
    assert {(i.kind, i.value) for i in read_misp(feed)} == kinds


def test_csv_mapping_and_plain_list(tmp_path: Path) -> None:
    csv_file = tmp_path / "sophos.csv"
    csv_file.write_text("Indicator_type,Data,Note\nsha256,c485674ee63ec8d4e8fde9800788175a8b02d3f9416d0e763360fff7f8eb4e02,"
                        "ffmpeg.dll\ndomain,officeaddons.com,C2\n")
    items = list(read_csv(csv_file, parse_mapping("value=Data,description=Note")))
    assert [(i.kind, i.description) for i in items] == [(IndicatorKind.SHA256, "ffmpeg.dll"),
                                                        (IndicatorKind.DOMAIN, "C2")]
    plain = tmp_path / "list.txt"
    plain.write_text("# 3CX C2\nsbmsa[.]wiki\n203.0.113.5\n" + "b" * 64 + "\nnot an indicator\n")
    got = [(i.kind, i.value, i.description) for i in read_plain(plain)]
    assert got == [(IndicatorKind.DOMAIN, "sbmsa.wiki", "3CX C2"), (IndicatorKind.IP, "203.0.113.5", "3CX C2"),
                   (IndicatorKind.SHA256, "b" * 64, "3CX C2")]


def test_sightings_export() -> None:
    report = Report(target="/", command="hunt", findings=[Finding(
        rule="hunt.sha256", severity=Severity.CRITICAL, path="/x/ffmpeg.dll", message="hit",
        evidence={"indicator": {"kind": "sha256", "value": "a" * 64, "source": "builtin:3cx",
                                "campaign": "3CX", "description": "ffmpeg"}})])
    bundle = stix2.parse(export_sightings(report, host="test-host").serialize(), allow_custom=True)
    sightings = [o for o in bundle.objects if o.type == "sighting"]
    assert len(sightings) == 1 and sightings[0].x_chainwatch_path == "/x/ffmpeg.dll"
    ind = next(o for o in bundle.objects if o.type == "indicator")
    assert sightings[0].sighting_of_ref == ind.id and "a" * 64 in ind.pattern

"""Manifests, indexes and image configs are checked against the OCI/Docker shapes before
anything is stored: every hostile document below is refused with a line naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.images import schema
from dockyard.services.images.schema import Index, Manifest

DIGEST = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def config(**runtime: Any) -> dict[str, Any]:
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-05-01T10:11:12.123456789Z",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": [DIGEST]},
        "history": [{"created": "0001-01-01T00:00:00Z", "created_by": "/bin/sh"}],
    }


def manifest(**fields: Any) -> dict[str, Any]:
    doc = {
        "schemaVersion": 2,
        "mediaType": schema.DOCKER_MANIFEST,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": DIGEST,
            "size": 100,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "digest": DIGEST_B,
                "size": 5,
            }
        ],
    }
    doc.update(fields)
    return {k: v for k, v in doc.items() if v is not ...}


def encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_docker_and_oci_manifests_parse() -> None:
    parsed = schema.parse_manifest(encode(manifest()), schema.DOCKER_MANIFEST)
    assert isinstance(parsed, Manifest)
    assert parsed.config.digest == DIGEST and [d.size for d in parsed.layers] == [5]
    oci = manifest(mediaType=schema.OCI_MANIFEST)
    oci["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd"
    assert isinstance(schema.parse_manifest(encode(oci), ""), Manifest)


def test_an_index_parses_with_its_platforms() -> None:
    entry = {
        "mediaType": schema.OCI_MANIFEST,
        "digest": DIGEST,
        "size": 7,
        "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
    }
    doc = {"schemaVersion": 2, "mediaType": schema.OCI_INDEX, "manifests": [entry]}
    parsed = schema.parse_manifest(encode(doc), schema.OCI_INDEX)
    assert isinstance(parsed, Index)
    assert parsed.manifests[0].platform["variant"] == "v8"


def test_a_real_world_config_with_nulls_parses() -> None:
    doc = config(Cmd="sh", Entrypoint=None, Env=["PATH=/bin"], Volumes=None, OnBuild=None)
    doc["container_config"] = {"Cmd": ["/bin/sh", "-c", "#(nop) CMD"], "Labels": None}
    parsed = schema.parse_config(encode(doc))
    assert parsed["config"]["Cmd"] == ["sh"]  # docker's strslice: a string is a one-item list
    assert schema.diff_ids(parsed) == [DIGEST]


HOSTILE_CONFIGS = [
    ({"Cmd": {"x": 1}}, "config.Cmd: expected an array of strings, got an object"),
    ({"Env": [1, None]}, "config.Env[0]: expected a string, got a number"),
    ({"Env": ["A=1", None]}, "config.Env[1]: expected a string, got null"),
    ({"User": 5}, "config.User: expected a string, got a number"),
    ({"Entrypoint": [["sh"]]}, "config.Entrypoint[0]: expected a string, got an array"),
    ({"Labels": {"a": 1}}, "config.Labels.a: expected a string, got a number"),
    ({"ExposedPorts": {"80/tcp": 1}}, "config.ExposedPorts.80/tcp: expected an object"),
    ({"ExposedPorts": {"../x": {}}}, "is not a port such as 80/tcp"),
    ({"Volumes": ["/data"]}, "config.Volumes: expected an object, got an array"),
    ({"WorkingDir": "/a\x00b"}, "config.WorkingDir: a NUL character"),
    ({"ArgsEscaped": "yes"}, "config.ArgsEscaped: expected true or false"),
    ({"StopTimeout": 1.5}, "config.StopTimeout: expected an integer, got a number"),
    ({"Healthcheck": {"Interval": 1e30}}, "config.Healthcheck.Interval: expected an integer"),
    (
        {"Healthcheck": {"Retries": 1 << 70}},
        "config.Healthcheck.Retries: 1180591620717411303424 is out of range",
    ),
]


@pytest.mark.parametrize(("runtime", "message"), HOSTILE_CONFIGS)
def test_hostile_runtime_configs_are_refused(runtime: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^invalid image config: ") as err:
        schema.parse_config(encode(config(**runtime)))
    assert message in str(err.value)


def broken(change: Any) -> bytes:
    doc = config()
    change(doc)
    return encode(doc)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b"[" * 100000, "not valid JSON"),
        (broken(lambda d: d.pop("rootfs")), "rootfs: required, missing"),
        (
            broken(lambda d: d.update(rootfs={"type": "layers", "diff_ids": ["x"]})),
            "is not a sha256 digest",
        ),
        (broken(lambda d: d.update(rootfs={"type": "bad", "diff_ids": []})), "expected 'layers'"),
        (broken(lambda d: d.update(architecture=None)), "architecture: required, missing"),
        (
            broken(lambda d: d.update(created="yesterday")),
            "created: 'yesterday' is not an RFC 3339 time",
        ),
        (broken(lambda d: d.update(history={"a": 1})), "history: expected an array"),
        (broken(lambda d: d.update(config=[])), "config: expected an object, got an array"),
        (b"{" + b" " * (9 << 20) + b"}", "image config too big"),
    ],
)
def test_malformed_configs_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        schema.parse_config(data)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (manifest(config=...), "config: required, missing"),
        (manifest(layers=...), "layers: required, missing"),
        (manifest(schemaVersion=3), "schemaVersion: 3 is out of range"),
        (manifest(schemaVersion="2"), "schemaVersion: expected an integer"),
        (manifest(config={"digest": DIGEST}), "config.size: required, missing"),
        (manifest(config={"digest": DIGEST, "size": -1}), "config.size: -1 is out of range"),
        (manifest(config={"digest": DIGEST, "size": "12"}), "config.size: expected an integer"),
        (manifest(config={"digest": "sha256:../../x", "size": 1}), "is not a sha256 digest"),
        (
            manifest(config={"digest": "sha512:" + "a" * 128, "size": 1}),
            "unsupported digest algorithm 'sha512'",
        ),
        (manifest(layers={"digest": DIGEST}), "layers: expected an array, got an object"),
        (manifest(layers=[None]), "layers[0]: expected an object, got null"),
        (
            manifest(
                config={
                    "mediaType": "application/vnd.cncf.helm.config.v1+json",
                    "digest": DIGEST,
                    "size": 1,
                }
            ),
            "unsupported image config media type",
        ),
        (
            manifest(layers=[{"mediaType": "text/html", "digest": DIGEST, "size": 1}]),
            "unsupported layer media type 'text/html'",
        ),
        (manifest(layers=[{"digest": DIGEST, "size": 1}] * 126), "max depth exceeded"),
        ({"schemaVersion": 1, "name": "x", "fsLayers": []}, "schema 1"),
    ],
)
def test_hostile_manifests_are_refused(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        schema.parse_manifest(encode(doc), "")
    assert message in str(err.value)


def test_hostile_indexes_are_refused() -> None:
    bad_platform = {
        "schemaVersion": 2,
        "manifests": [
            {"digest": DIGEST, "size": 1, "platform": {"os": "linux", "architecture": 5}}
        ],
    }
    with pytest.raises(InvalidArgument, match=r"manifests\[0\].platform.architecture"):
        schema.parse_manifest(encode(bad_platform), schema.OCI_INDEX)
    with pytest.raises(InvalidArgument, match="manifests: required, missing"):
        schema.parse_manifest(encode({"schemaVersion": 2}), schema.OCI_INDEX)


def test_a_10_mb_manifest_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidArgument, match="manifest too big"):
        schema.parse_manifest(b" " * (10 << 20), schema.DOCKER_MANIFEST)


def test_an_unknown_manifest_media_type_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="unsupported manifest media type 'text/plain'"):
        schema.parse_manifest(encode(manifest()), "text/plain")


def test_repair_drops_only_the_fields_of_the_wrong_shape() -> None:
    doc = config(Cmd={"x": 1}, Env=[1, None], User=5, WorkingDir="/srv", Labels={"a": "b"})
    repaired, problems = schema.repair_config(doc)
    assert repaired["config"] == {"WorkingDir": "/srv", "Labels": {"a": "b"}}
    assert schema.diff_ids(repaired) == [DIGEST]
    assert len(problems) == 3 and any("config.User" in p for p in problems)
    assert schema.repair_config("not a config") == ({}, ["the image config is not a JSON object"])

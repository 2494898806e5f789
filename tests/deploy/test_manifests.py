"""The container and Kubernetes descriptions parse, cover every service folder, and agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
Doc = dict[str, Any]


def service_folders() -> set[str]:
    return {p.parent.name for p in (ROOT / "services").glob("*/app.py")}


@pytest.fixture(scope="module")
def compose() -> Doc:
    doc: Doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


@pytest.fixture(scope="module")
def kube() -> list[Doc]:
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    docs: list[Doc] = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((KUBE / resource).read_text()) if d]
    return docs


def of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def app_services(compose: Doc) -> dict[str, Doc]:
    """Compose services that run `jietiao serve <name>`, by that name."""
    found = {}
    for spec in compose["services"].values():
        command = spec.get("command", [])
        if command[:1] == ["serve"]:
            found[command[1]] = spec
    return found


def container(deployment: Doc) -> Doc:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    c: Doc = only
    return c


def config_map(kube: list[Doc]) -> dict[str, str]:
    data: dict[str, str] = of_kind(kube, "ConfigMap")["jietiao-config"]["data"]
    return data


def test_every_service_folder_is_deployed_and_nothing_else(compose: Doc, kube: list[Doc]) -> None:
    folders = service_folders()
    assert folders >= {"drafting", "identity", "signing", "evidence", "gateway"}
    assert set(app_services(compose)) == folders
    assert set(of_kind(kube, "Deployment")) == folders
    assert {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(kube, "HorizontalPodAutoscaler").values()
    } == folders


def test_each_deployment_runs_its_service_with_probes_and_requests(kube: list[Doc]) -> None:
    port = int(config_map(kube)["JIETIAO_HEALTH_PORT"])
    for name, deployment in of_kind(kube, "Deployment").items():
        c = container(deployment)
        assert c["args"] == ["serve", name]
        assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": port}
        for probe in ("readinessProbe", "livenessProbe"):
            assert c[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, (name, probe)
        assert c["resources"]["requests"]["cpu"]
        assert c["resources"]["requests"]["memory"]
        assert c["securityContext"]["runAsNonRoot"] is True
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == port


def test_replica_counts_agree(compose: Doc, kube: list[Doc]) -> None:
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in of_kind(kube, "HorizontalPodAutoscaler").values()
    }
    for name, spec in app_services(compose).items():
        replicas = spec["deploy"]["replicas"]
        assert of_kind(kube, "Deployment")[name]["spec"]["replicas"] == replicas, name
        assert hpas[name]["spec"]["minReplicas"] == replicas, name
        assert hpas[name]["spec"]["maxReplicas"] > replicas, name


def test_settings_agree(compose: Doc, kube: list[Doc]) -> None:
    config = config_map(kube)
    for name, spec in app_services(compose).items():
        env = spec["environment"]
        # The same variables in both, except where each gets its URLs from.
        assert set(env) - {"DATABASE_URL"} == set(config) - {"JIETIAO_NAMESPACE"}, name
        for key in (
            "JIETIAO_STREAM_REPLICAS",
            "JIETIAO_HEALTH_PORT",
            "JIETIAO_SHUTDOWN_DEADLINE_SECONDS",
        ):
            assert str(env[key]) == config[key], (name, key)
        probe = " ".join(spec["healthcheck"]["test"])
        assert f":{env['JIETIAO_HEALTH_PORT']}/healthz" in probe
        deadline = float(env["JIETIAO_SHUTDOWN_DEADLINE_SECONDS"])
        assert deadline < _seconds(spec["stop_grace_period"])
        assert spec["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert config["JIETIAO_STREAM_REPLICAS"] == "3"
    for name, deployment in of_kind(kube, "Deployment").items():
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert float(config["JIETIAO_SHUTDOWN_DEADLINE_SECONDS"]) < grace, name
        env = {e["name"]: e for e in container(deployment)["env"]}
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "jietiao-db-app"


def test_the_gateway_is_reachable(compose: Doc, kube: list[Doc]) -> None:
    gateway = app_services(compose)["gateway"]
    published = [p.split(":") for p in gateway["ports"]]
    assert all(
        int(inner) == int(gateway["environment"]["JIETIAO_HEALTH_PORT"]) for _, inner in published
    )
    host_ports = published[0][0].split("-")
    # One host port per replica, or the second replica could not start.
    assert int(host_ports[-1]) - int(host_ports[0]) + 1 == gateway["deploy"]["replicas"]
    service = of_kind(kube, "Service")["gateway"]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_a_three_node_jetstream_cluster_in_both(compose: Doc, kube: list[Doc]) -> None:
    nodes = {
        n: s for n, s in compose["services"].items() if str(s.get("image", "")).startswith("nats:")
    }
    assert len(nodes) == 3
    for name, spec in nodes.items():
        command = spec["command"]
        assert "-js" in command, name
        assert "--cluster_name" in command, name
        routes = command[command.index("--routes") + 1].split(",")
        # Every node routes to the two others.
        assert {r.split("//")[1].split(":")[0] for r in routes} == set(nodes) - {name}
    values = yaml.safe_load((KUBE / "nats-values.yaml").read_text())
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    assert values["config"]["jetstream"]["enabled"] is True
    assert values["config"]["jetstream"]["fileStore"]["enabled"] is True
    assert (
        config_map(kube)["NATS_URL"] == "nats://nats:4222"
    )  # the chart's Service of release `nats`


def test_postgres_is_replicated(compose: Doc, kube: list[Doc]) -> None:
    (cluster,) = [d for d in kube if d["kind"] == "Cluster"]
    assert cluster["apiVersion"].startswith("postgresql.cnpg.io/")
    assert cluster["spec"]["instances"] >= 3
    assert f"{cluster['metadata']['name']}-app" == "jietiao-db-app"  # the secret CNPG creates
    assert "postgres" in compose["services"]


def test_bootstrap_runs_once_before_the_services(compose: Doc, kube: list[Doc]) -> None:
    assert compose["services"]["bootstrap"]["command"] == ["bootstrap"]
    assert compose["services"]["bootstrap"]["restart"] == "no"
    job = of_kind(kube, "Job")["jietiao-bootstrap"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["bootstrap"]


def test_the_image_is_multi_stage_slim_and_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert len(stages) >= 2
    assert all("slim" in s for s in stages)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user
    assert not user[-1].startswith(("root", "0"))
    assert re.search(r'^ENTRYPOINT \["jietiao"\]', text, re.M)


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)s", value)
    assert match, value
    return float(match.group(1))


def test_kustomize_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    helm_values = {"nats-values.yaml", "kustomization.yaml"}
    on_disk = {p.name for p in KUBE.glob("*.yaml")} - helm_values
    assert set(kustomization["resources"]) == on_disk

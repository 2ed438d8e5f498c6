"""Checks the deploy files without a container runtime: every YAML and JSON file parses, the
compose file's healthchecks call a tool that exists in the image that runs them, PostgreSQL and
Redis publish no port, and the alert rules and dashboard cover the series they promise.

Run by .ci/run (with the virtual environment's Python, which has PyYAML) when `docker compose
config` is not available; `python deploy/check.py` from the workspace root."""

import json
import pathlib
import re
import sys

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
# Tools known to exist in the third-party images the compose file uses.
IMAGE_TOOLS = {
    "pgvector/pgvector": {"pg_isready", "psql"},
    "redis": {"redis-cli", "redis-server"},
}
faults = []


def fault(message):
    faults.append(message)


def runtime_stage_tools(dockerfile):
    """Executables the runtime stage of the Dockerfile provides: files it copies in, plus the
    few commands of the slim base it installs."""
    stages = re.split(r"(?im)^FROM\s+", dockerfile)
    runtime = stages[-1]
    tools = set(re.findall(r"(?im)^COPY\s+(?:--\S+\s+)*\S+\s+(\S+)", runtime))
    for package in re.findall(r"apt-get install[^\n]*?((?:\s+[a-z0-9.+-]+)+)", runtime):
        tools.update(f"/usr/bin/{name}" for name in package.split() if not name.startswith("-"))
    return tools


def healthcheck_command(service):
    test = service.get("healthcheck", {}).get("test")
    if test is None:
        return None
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return list(test)


def check_compose():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    own_tools = runtime_stage_tools(dockerfile)
    services = compose.get("services", {})
    for name in ("server", "worker", "migrate", "postgres", "redis"):
        if name not in services:
            fault(f"compose: service {name} is missing")
    for name, service in services.items():
        command = healthcheck_command(service)
        image = service.get("image", "")
        if name in ("postgres", "redis") and service.get("ports"):
            fault(f"compose: {name} publishes ports; it must stay on the internal network")
        if command is None:
            if name in ("server", "postgres", "redis"):
                fault(f"compose: {name} has no healthcheck")
            continue
        if command[0] == "CMD-SHELL":
            if "/dev/tcp" in " ".join(command[1:]):
                fault(f"compose: {name}'s healthcheck uses bash's /dev/tcp; the image's /bin/sh is dash")
            executable = command[1].split()[0]
        elif command[0] == "CMD":
            executable = command[1]
        else:
            fault(f"compose: {name}'s healthcheck test starts with {command[0]!r}")
            continue
        if "build" in service or image.startswith("lead-server"):
            if executable not in own_tools:
                fault(f"compose: {name}'s healthcheck runs {executable}, which the image does not have ({sorted(own_tools)})")
            if executable.endswith("lead-server") and command[2:3] != ["healthcheck"]:
                fault(f"compose: {name}'s healthcheck must be `lead-server healthcheck`")
        else:
            base = image.split(":")[0]
            known = IMAGE_TOOLS.get(base)
            if known is None:
                fault(f"compose: no tool list for image {image}")
            elif pathlib.PurePath(executable).name not in known:
                fault(f"compose: {name}'s healthcheck runs {executable}, not in {image}")
    server_deps = services.get("server", {}).get("depends_on", {})
    if server_deps.get("migrate", {}).get("condition") != "service_completed_successfully":
        fault("compose: server must wait for migrate to complete")
    backend = compose.get("networks", {}).get("backend", {})
    if not backend.get("internal"):
        fault("compose: the backend network must be internal")
    if "HEALTHCHECK" not in dockerfile or "healthcheck" not in dockerfile.split("HEALTHCHECK", 1)[1].split("\n\n")[0]:
        fault("Dockerfile: HEALTHCHECK must run `lead-server healthcheck`")


def check_kubernetes():
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None and "kind" not in document:
                fault(f"{path.name}: a document without kind")


def check_monitoring():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    for series in ("lead_job_oldest_queued_seconds", "http_requests_total", "llm_requests_total",
                   "lead_budget_used_ratio", "lead_speed_to_lead_seconds_bucket"):
        if not any(series in expr for expr in alerts.values()):
            fault(f"alerts: no rule on {series}")
    for expr in alerts.values():
        if "tenant" in expr:
            fault("alerts: rules must not use a tenant label")
    dashboard = json.loads((DEPLOY / "grafana" / "lead-server.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for series in ("http_requests_total", "http_request_duration_seconds_bucket", "lead_intake_total",
                   "lead_jobs", "lead_job_runs_total", "lead_speed_to_lead_seconds_bucket",
                   "llm_requests_total", "llm_tokens_total", "llm_cost_usd_total",
                   "channel_sends_total", "lead_escalations_total"):
        if series not in exprs:
            fault(f"dashboard: no panel on {series}")


check_compose()
check_kubernetes()
check_monitoring()
for message in faults:
    print(message)
print(f"deploy check: {len(faults)} problem(s)")
sys.exit(1 if faults else 0)

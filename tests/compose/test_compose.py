"""docker-compose.yml and the Procfile name only things that exist: Docker cannot run here, so a typo in a
command, a mount or a port would otherwise surface only on someone else's machine."""

from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("users", "events", "bookings", "payments", "notifications")
# Services whose processes exist yet; the others get no containers (they would only crash-loop) and the
# gateway answers 503 for them.
BUILT = tuple(s for s in SERVICES if (ROOT / f"services/{s}/src/{s}_service/main.py").exists())
TEMPLATE = ROOT / "deploy/gateway/gateway.conf.template"
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    """Console scripts of every workspace member: name -> "module:function"."""
    found: dict[str, str] = {}
    for pyproject in [*ROOT.glob("services/*/pyproject.toml"), *ROOT.glob("libs/*/pyproject.toml")]:
        found.update(tomllib.loads(pyproject.read_text()).get("project", {}).get("scripts", {}))
    return found


def own_image(service: dict) -> bool:
    return "build" in service or str(service.get("image", "")).startswith("event-planner")


def module_exists(name: str) -> bool:
    """A module of this repository (deploy.smtp_sink) or an installed one (aiosmtpd)."""
    if (ROOT / (name.replace(".", "/") + ".py")).exists() or (ROOT / name.replace(".", "/") / "__init__.py").exists():
        return True
    return importlib.util.find_spec(name) is not None


def package_dir(target: str) -> Path | None:
    """Where the package of a console script's "pkg.module:function" target lives in the workspace."""
    package = target.split(":")[0].split(".")[0]
    for base in [*ROOT.glob("services/*/src"), *ROOT.glob("libs/*/src")]:
        if (base / package / "__init__.py").exists():
            return base / package
    return None


def check_command(argv: list[str], scripts: dict[str, str]) -> list[str]:
    """Problems with one command line run in the project's image (empty when it is fine)."""
    exe, args = argv[0], argv[1:]
    if exe in scripts:
        target = scripts[exe]
        if not package_dir(target):
            return [f"{exe}: package of {target} not in the workspace"]
        module, _, function = target.partition(":")
        source = package_dir(target).parent / (module.replace(".", "/") + ".py")
        # `def run_api(...)`, or a module-level name bound to one (`..., run_api, run_worker = SERVICE.entry_points()`)
        defined = rf"^def {function}\(|^[\w, ]*\b{function}\b[\w, ]* = "
        if not source.exists() or not re.search(defined, source.read_text(), re.MULTILINE):
            return [f"{exe}: {target} does not exist"]
        return []
    if exe in ("python", "python3"):
        if args[:1] == ["-m"]:
            problems = [] if module_exists(args[1]) else [f"python -m {args[1]}: no such module"]
            if "-c" in args:  # aiosmtpd's handler class, as a dotted path
                module, _, cls = args[args.index("-c") + 1].rpartition(".")
                source = ROOT / (module.replace(".", "/") + ".py")
                if not source.exists() or f"class {cls}" not in source.read_text():
                    problems.append(f"handler class {module}.{cls} not found")
            return problems
        return [] if (ROOT / args[0]).exists() else [f"python {args[0]}: no such file"]
    return [f"{exe}: neither a console script nor python"]


def test_every_built_service_has_an_api_and_a_worker(compose):
    names = set(compose["services"])
    expected = {f"{s}-{p}" for s in BUILT for p in ("api", "worker")}
    assert expected <= names, f"missing: {sorted(expected - names)}"
    unbuilt = {f"{s}-{p}" for s in SERVICES if s not in BUILT for p in ("api", "worker")}
    assert not unbuilt & names, f"containers for services that do not exist yet: {sorted(unbuilt & names)}"
    assert {"postgres", "kafka", "kafka-topics", "gateway", "smtp"} <= names


def test_build_contexts_and_dockerfile_exist(compose):
    builds = [s["build"] for s in compose["services"].values() if "build" in s]
    assert builds, "nothing is built from this repository"
    for build in builds:
        context = ROOT / build["context"]
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert context.is_dir(), build
        assert dockerfile.is_file(), build


def test_dockerfile_copies_only_existing_paths(compose):
    dockerfile = ROOT / "deploy/Dockerfile"
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources = [w for w in words[1:-1] if not w.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_commands_name_existing_console_scripts_and_modules(compose, scripts):
    problems = []
    for name, service in compose["services"].items():
        if not own_image(service):
            continue
        command = service.get("command")
        assert command, f"{name}: runs the image's default command; say which process it is"
        argv = command if isinstance(command, list) else shlex.split(command)
        problems += [f"{name}: {p}" for p in check_command(argv, scripts)]
    assert not problems, problems


def test_every_api_and_worker_runs_its_own_console_script(compose, scripts):
    for s in BUILT:
        for process in ("api", "worker"):
            command = compose["services"][f"{s}-{process}"]["command"]
            assert command == [f"{s}-{process}"]
            assert scripts[f"{s}-{process}"].startswith(f"{s}_service.")


def test_mounted_files_exist(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_gateway_upstreams_point_at_the_services_ports(compose):
    services = compose["services"]
    gateway_env = services["gateway"]["environment"]
    assert {f"{s.upper()}_UPSTREAM" for s in SERVICES} <= set(gateway_env), "the gateway template needs them all"
    for s in BUILT:
        host, port = gateway_env[f"{s.upper()}_UPSTREAM"].split(":")
        assert host in services, f"gateway upstream {host} is not a compose service"
        api_env = services[host]["environment"]
        listens = api_env[f"{s.upper()}_PORT"]
        assert listens == port, f"{host} listens on {listens}, gateway uses {port}"
        assert api_env.get("API_HOST") == "0.0.0.0", f"{host} must listen beyond its container's loopback"


def test_gateway_template_is_rendered_by_the_nginx_image_with_every_placeholder_set(compose):
    gateway = compose["services"]["gateway"]
    assert str(gateway["image"]).startswith("nginx:")
    mounts = {v.split(":")[0]: v.split(":")[1] for v in gateway["volumes"]}
    target = mounts["./deploy/gateway/gateway.conf.template"]
    assert target.startswith("/etc/nginx/templates/") and target.endswith(".conf.template")
    placeholders = set(PLACEHOLDER.findall(TEMPLATE.read_text()))
    assert placeholders <= set(gateway["environment"]), f"unset: {sorted(placeholders - set(gateway['environment']))}"
    docs_root = gateway["environment"]["GATEWAY_DOCS_ROOT"]
    assert mounts["./deploy/gateway/docs"] == docs_root
    assert (ROOT / "deploy/gateway/docs/index.html").exists()


def test_gateway_listens_on_the_published_port(compose):
    gateway = compose["services"]["gateway"]
    listen = gateway["environment"]["GATEWAY_LISTEN"].rsplit(":", 1)[-1]
    assert any(str(p).split(":")[-1] == listen for p in gateway["ports"])


def test_every_service_database_is_created():
    sql = "\n".join(p.read_text() for p in (ROOT / "deploy/postgres-init").glob("*.sql"))
    for s in SERVICES:
        assert re.search(rf"CREATE DATABASE {s};", sql), s


def test_compose_kafka_matches_the_local_broker_version(compose):
    pom = (ROOT / "deploy/kafka/pom.xml").read_text()
    local = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom).group(1)
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{local}"


# The default layout (one process a service) and the split one (api replicas + one worker): the processes each
# must name at least.
LAYOUTS = {"Procfile": {"gateway", "smtp", "users-service", "events-service", "bookings-service"},
           "Procfile.split": {"gateway", "smtp", "users-api", "users-worker", "events-api", "events-worker"}}


@pytest.mark.parametrize("procfile", sorted(LAYOUTS))
def test_procfile_commands_exist(scripts, procfile):
    lines = [line for line in (ROOT / procfile).read_text().splitlines() if line.strip() and not line.startswith("#")]
    names = [line.split(":", 1)[0] for line in lines]
    assert LAYOUTS[procfile] <= set(names)
    for line in lines:
        argv = shlex.split(line.split(":", 1)[1])
        while "=" in argv[0]:  # a per-process environment, e.g. the process's Kafka principal
            argv.pop(0)
        if argv[0] == "bash":
            assert (ROOT / argv[1]).is_file(), line
        else:
            assert argv[0].startswith(".venv/bin/"), line
            assert Path(argv[0]).name in scripts, line


def test_api_processes_honour_api_host(monkeypatch):
    """Compose sets API_HOST=0.0.0.0; an api that always binds 127.0.0.1 is unreachable from the gateway."""
    import importlib

    monkeypatch.setenv("API_HOST", "0.0.0.0")
    wiring = (ROOT / "libs/webkit/src/webkit/service.py").read_text()  # every service's entry points
    for s in SERVICES:
        settings = importlib.import_module(f"{s}_service.settings").Settings()
        assert settings.api_host == "0.0.0.0", s
        assert "webkit.service" in (ROOT / f"services/{s}/src/{s}_service/main.py").read_text(), s
    assert wiring.count("host=settings.api_host") == 2, "run_api or the one-process run ignores api_host"


def test_kafka_has_a_user_for_every_principal_and_each_service_uses_its_own(compose):
    from contracts.access import usernames

    services = compose["services"]
    kafka_env = services["kafka"]["environment"]
    assert set(kafka_env["KAFKA_PRINCIPALS"].split()) == set(usernames())
    assert {f"KAFKA_{name.upper()}_PASSWORD" for name in usernames()} <= set(kafka_env)
    for s in BUILT:
        for process in ("api", "worker"):
            env = services[f"{s}-{process}"]["environment"]
            assert env["KAFKA_USERNAME"] == s
            assert re.fullmatch(rf"\$\{{KAFKA_{s.upper()}_PASSWORD:\?[^}}]+\}}", env["KAFKA_PASSWORD"])
            assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    for one_shot in ("kafka-topics", "kafka-acls"):
        assert services[one_shot]["environment"]["KAFKA_USERNAME"] == "admin"


INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?\}")


def rendered(value: str, given: dict[str, str]) -> str:
    """What compose makes of `${X:-default}` / `${X:?message}` / `${X}` when the operator set `given`."""
    def one(m: re.Match) -> str:
        name, kind, rest = m.groups()
        if name in given:
            return given[name]
        assert kind != "?", f"compose would stop: {rest}"
        return rest if kind == "-" else ""
    return INTERPOLATION.sub(one, str(value))


def test_compose_runs_in_production_and_makes_the_operator_fill_in_the_secrets(compose):
    for s in BUILT:
        for process in ("api", "worker"):
            env = compose["services"][f"{s}-{process}"]["environment"]
            assert env["ENVIRONMENT"] == "production", f"{s}-{process}"
            for secret in ("SECRET_KEY", "ADMIN_PASSWORD", "UNSUBSCRIBE_SECRET"):
                assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", env[secret]), f"{secret} must have no default"
            assert env["PAYMENTS_SANDBOX_ENABLED"] == "false"


def test_with_the_secrets_filled_in_every_service_passes_its_production_start_up_check(compose, monkeypatch):
    """The compose environment, as each container would see it, is accepted by ENVIRONMENT=production."""
    import importlib

    from contracts.access import usernames

    given = {"SECRET_KEY": "0123456789abcdef" * 4, "ADMIN_PASSWORD": "a sturdy admin passphrase 42",
             "UNSUBSCRIBE_SECRET": "fedcba9876543210" * 4, "PUBLIC_URL": "https://planner.example.org",
             **{f"KAFKA_{name.upper()}_PASSWORD": f"{name} kafka secret" for name in usernames()}}
    for s in BUILT:
        env = {k: rendered(v, given) for k, v in compose["services"][f"{s}-api"]["environment"].items()}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = importlib.import_module(f"{s}_service.settings").Settings()
        assert settings.production, s
        settings.check_startup()

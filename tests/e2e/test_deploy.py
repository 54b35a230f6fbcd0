"""The deployment files, kept correct without Docker or a running systemd: the Dockerfiles pass
hadolint and state the facts the issue asks for, the compose file validates against the Compose
Specification and is wired consistently, the systemd units pass `systemd-analyze verify`, and
every command these files run is run here for real (the repository's CLI against a temporary
configuration): migrations migrate, servers start, answer /healthz and stop cleanly on SIGTERM.
The example configuration names every key the loader knows, and the install guide's commands
parse with the real CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

import click
import httpx
import pytest
import yaml

from gateway.storage import db
from gateway.bootstrap import App
from gateway.entrypoints.cli.main import cli
from gateway.config import Config, HttpConfig, SmtpConfig, load_config
from tests.support import docgen
from tests.support.harness import DOMAIN, fax_message, free_port, queued_id, seed, submit, wait_state
from tests.support.paths import REPO

DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
TOOLS = Path(sys.executable).parent  # hadolint, shellcheck and check-jsonschema: the test extra
INSTALLED = "/opt/faxgate/bin/faxgate"  # where docs/install.md puts the console script
CONFIG_PATH = "/etc/faxgate/faxgate.toml"
START_TIMEOUT = 30.0


# -- helpers: the files read as their tools read them ------------------------------------------


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, f"{path}: a continuation line runs off the end"
    return instructions


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit: section → (key, value) in order (keys may repeat, unlike configparser)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path}: {line!r} outside a section"
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def faxgate_services(spec: dict) -> dict[str, dict]:
    return {name: service for name, service in spec["services"].items()
            if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"}


def as_repo_cli(argv: list[str]) -> list[str]:
    """An installed `faxgate …` command line, run with this checkout's code."""
    assert Path(argv[0]).name == "faxgate", argv
    return [sys.executable, "-m", "gateway", *argv[1:]]


@dataclasses.dataclass
class Site:
    """A temporary configuration (SQLite, free loopback ports) standing in for the real one."""

    config: Path
    state: Path
    smtp_port: int
    http_port: int

    def env(self, pythonpath: str = str(REPO)) -> dict[str, str]:
        return {**os.environ, "FAXGATE_CONFIG": str(self.config), "PYTHONPATH": pythonpath}


@pytest.fixture
def site(tmp_path) -> Site:
    state = tmp_path / "state"
    state.mkdir()
    smtp_port, http_port = free_port(), free_port()
    config = tmp_path / "faxgate.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{state}/faxgate.db"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ndomain = "{DOMAIN}"\n'
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n'
        f'[relay]\nurl = "smtp://127.0.0.1:{free_port()}"\n'
        '[logging]\nformat = "json"\n',
        encoding="utf-8",
    )
    return Site(config, state, smtp_port, http_port)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not listening(port):
        assert process.poll() is None, f"exited while starting: {log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, f"port {port} not listening after {START_TIMEOUT}s"
        time.sleep(0.05)


def healthz(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code


class Running:
    """A long-running command started as its unit or container would, stopped by its PID."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path):
        self.log = log
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log.open("ab"))

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def check_serving(argv: list[str], site: Site, parts: set[str], log: Path) -> None:
    """Start `serve` as given, check each part it should run (and that others stay off), then
    SIGTERM: the gateway must stop by itself with exit 0."""
    server = Running(argv, site.env(), site.state, log)
    try:
        if "http" in parts:
            wait_listening(site.http_port, server.process, log)
            assert healthz(site.http_port) == 200
        if "smtp" in parts:
            wait_listening(site.smtp_port, server.process, log)
        assert ("smtp" in parts) == listening(site.smtp_port)
        assert ("http" in parts) == listening(site.http_port)
    finally:
        assert server.stop() == 0, log.read_text(errors="replace")


def command_path(args: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The click command a `faxgate ARGS…` line names, its name path, and the rest of ARGS."""
    command, names, rest = cli, [], list(args)
    while rest and rest[0] == "--config":  # the one option accepted before the subcommand
        rest = rest[2:]
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        names.append(rest[0])
        command = command.commands[rest.pop(0)]
    return command, names, rest


# -- the container image ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [DEPLOY / "Dockerfile", DEPLOY / "hylafax" / "Dockerfile"], ids=["faxgate", "hylafax"])
def test_dockerfiles_pass_hadolint(path):
    result = subprocess.run([str(TOOLS / "hadolint"), "--no-color", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_image_is_bookworm_with_ocr_fonts_and_a_non_root_user():
    steps = dockerfile(DEPLOY / "Dockerfile")
    final = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    runtime = steps[final:]
    assert "bookworm" in runtime[0][1], runtime[0]
    installs = " ".join(args for keyword, args in runtime if keyword == "RUN" and "apt-get install" in args).split()
    assert {"tesseract-ocr", "tesseract-ocr-jpn", "fonts-ipaexfont"} <= set(installs)

    keywords = [keyword for keyword, _ in runtime]
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users and keywords.index("ENTRYPOINT") > max(i for i, k in enumerate(keywords) if k == "USER")
    uid = users[-1].split(":")[0]
    assert uid not in ("root", "0"), users
    created = " ".join(args for keyword, args in runtime if keyword == "RUN" and "useradd" in args)
    assert re.search(rf"--uid {uid}\b", created) or re.search(rf"useradd\b.*\b{uid}$", created), (uid, created)

    assert exec_form(dict(runtime)["ENTRYPOINT"]) == ["faxgate"]
    assert exec_form(dict(runtime)["CMD"]) == ["serve"]
    exposed = {int(port.split("/")[0]) for keyword, args in runtime if keyword == "EXPOSE" for port in args.split()}
    assert {SmtpConfig().port, HttpConfig().port} <= exposed, "the config defaults' ports"
    assert dict(runtime)["HEALTHCHECK"].split("CMD", 1)[1].strip().startswith("[")
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert f"FAXGATE_CONFIG={CONFIG_PATH}" in env

    pip = " ".join(args for keyword, args in steps[:final] if keyword == "RUN" and "pip install" in args)
    assert '".[postgres]"' in pip and "test" not in pip, "the package and its PostgreSQL driver, no test extras"


def test_image_copies_exist_and_are_not_ignored():
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for keyword, args in dockerfile(DEPLOY / "Dockerfile"):
        if keyword == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (REPO / source).exists(), source
                assert not any(source == pattern or source.startswith(pattern + "/") for pattern in ignored), source


def test_image_install_step_gives_a_working_gateway(tmp_path, site):
    """The build stage's COPY lines and its plain `pip install` (a wheel, not this editable
    checkout), then the image's own ENTRYPOINT/CMD and HEALTHCHECK run against that install:
    the schema migrates, the web app serves its Japanese pages, the health check passes while
    the gateway runs and fails once it is stopped."""
    steps = dockerfile(DEPLOY / "Dockerfile")
    final = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    source = tmp_path / "src"
    source.mkdir()
    for keyword, args in steps[:final]:
        if keyword == "COPY":
            *sources, target = args.split()
            for item in sources:
                destination = source / (Path(item).name if target.endswith("/") else target)
                subprocess.run(["cp", "-a", str(REPO / item), str(destination)], check=True)
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("faxgate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gateway/core/default_policy.toml" in names and "gateway/entrypoints/web/locale/ja/LC_MESSAGES/messages.po" in names
    site_packages = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site_packages),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    env = site.env(pythonpath=str(site_packages))
    where = run_once([sys.executable, "-c", "import gateway; print(gateway.__file__)"], env, site.state)
    assert where.stdout.startswith(str(site_packages)), where.stdout
    entry = exec_form(dict(steps[final:])["ENTRYPOINT"]) + exec_form(dict(steps[final:])["CMD"])
    health = exec_form(dict(steps[final:])["HEALTHCHECK"].split("CMD", 1)[1])
    assert health[0] == "python"
    health = [sys.executable, *health[1:]]
    log = tmp_path / "serve.log"
    server = Running(as_repo_cli(entry), env, site.state, log)
    try:
        wait_listening(site.http_port, server.process, log)
        page = httpx.get(f"http://127.0.0.1:{site.http_port}/login", timeout=10)
        assert page.status_code == 200 and "ログイン" in page.text
        assert run_once(health, env, site.state).returncode == 0
    finally:
        assert server.stop() == 0, log.read_text(errors="replace")
    failed = run_once(health, env, site.state)
    assert failed.returncode == 1 and "unhealthy" in failed.stderr


# -- compose ----------------------------------------------------------------------------------


def test_compose_validates_against_the_compose_specification():
    result = subprocess.run([str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                             str(DEPLOY / "compose.yaml")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_wiring():
    spec = compose()
    services = spec["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])

    gateway = faxgate_services(spec)
    assert set(gateway) == {"migrate", "intake", "worker"}
    assert gateway["migrate"]["command"] == ["db", "upgrade"] and gateway["migrate"]["restart"] == "no"
    for name, service in gateway.items():
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert f"./compose.toml:{CONFIG_PATH}:ro" in service["volumes"], name
        if name != "migrate":
            assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                healthcheck = services[dependency].get("healthcheck")
                built = services[dependency].get("build", {})
                dockerfile_path = DEPLOY / built.get("context", ".") / built.get("dockerfile", "Dockerfile")
                has_check = healthcheck and not healthcheck.get("disable") or (
                    built and any(k == "HEALTHCHECK" for k, _ in dockerfile(dockerfile_path)))
                assert has_check, f"{name} waits for {dependency} to be healthy, which has no health check"

    # Every long-running gateway container answers the image's HTTP health check.
    served = {name: set(service["command"][service["command"].index("--only") + 1].split(","))
              for name, service in gateway.items() if service["command"][0] == "serve"}
    assert served == {"intake": {"smtp", "http"}, "worker": {"worker", "http"}}

    config = load_config(DEPLOY / "compose.toml")
    assert config.database.url.startswith("postgresql+psycopg://")
    assert re.search(r"@([\w-]+)/", config.database.url).group(1) in services
    relay = re.fullmatch(r"hylafax://([\w-]+):(\d+)", config.relay.url)
    assert relay and relay.group(1) in services
    fax = dockerfile(DEPLOY / services[relay.group(1)]["build"]["context"] / "Dockerfile")
    assert relay.group(2) in " ".join(args for keyword, args in fax if keyword == "EXPOSE").split()
    published = {int(port.split(":")[-1]) for port in services["intake"]["ports"]}
    assert published == {config.smtp.port, config.http.port}
    assert config.smtp.host == config.http.host == "0.0.0.0", "reachable through the published ports"
    mounted = {volume.split(":")[1] for volume in gateway["intake"]["volumes"]}
    for path in (config.smtp.tls_cert, config.records.key_file, config.records.trust_root):
        assert any(path.startswith(target + "/") for target in mounted), f"{path} is on no volume"


def test_compose_commands_are_real_and_run(tmp_path, site):
    """Each gateway container's command, after the image's ENTRYPOINT, run with this checkout."""
    entrypoint = exec_form(dict(dockerfile(DEPLOY / "Dockerfile"))["ENTRYPOINT"])
    for name, service in faxgate_services(compose()).items():
        argv = as_repo_cli(entrypoint + service["command"])
        command, names, _ = command_path(argv[3:])
        assert names, f"{name}: {service['command']} names no faxgate subcommand"
        assert run_once(argv[:3] + names + ["--help"], site.env(), site.state).returncode == 0
        if names == ["db", "upgrade"]:
            result = run_once(argv, site.env(), site.state)
            assert result.returncode == 0 and db.head_revision() in result.stdout, result.stderr
        else:
            parts = set(service["command"][service["command"].index("--only") + 1].split(","))
            check_serving(argv, site, parts, tmp_path / f"{name}.log")


def test_compose_fax_server_takes_a_relayed_job_and_stops():
    """The test fax server's start script (its container's ENTRYPOINT) on a private copy of the
    HylaFAX spool: its health check passes once the scheduler runs, faxgate's HylaFAX relay queues
    a job on it, SIGTERM stops both daemons, and the health check then fails."""
    from gateway.adapters.relay import RelayRequest
    from gateway.adapters.relay_hylafax import HylafaxRelay
    from tests.support.hylafax_server import SBIN, HylafaxServer, _private_spool, _scheduler_running, _unavailable

    if not (SBIN / "hfaxd").exists() or os.geteuid() != 0:
        _unavailable("the HylaFAX daemons (Debian hylafax-server, started as root) are needed")
    steps = dict(dockerfile(DEPLOY / "hylafax" / "Dockerfile"))
    (entrypoint,) = exec_form(steps["ENTRYPOINT"])
    copied = {target: source for source, target in (args.split() for k, args in dockerfile(DEPLOY / "hylafax" / "Dockerfile")
                                                     if k == "COPY")}
    script = DEPLOY / "hylafax" / copied[entrypoint]
    base = Path(tempfile.mkdtemp(prefix="faxgate-hylafax-"))  # not under pytest's private tmp:
    base.chmod(0o755)  # the daemons drop to uucp and must reach the spool inside
    spool = _private_spool(base)
    server = HylafaxServer("127.0.0.1", free_port())
    health = exec_form(steps["HEALTHCHECK"].split("CMD", 1)[1])
    health = [part.replace("127.0.0.1:4559", f"127.0.0.1:{server.port}") for part in health]
    clients = compose()["services"]["faxserver"]["environment"]["HYLAFAX_CLIENTS"]
    env = {**os.environ, "HYLAFAX_SPOOL": str(spool), "HYLAFAX_PORT": str(server.port), "HYLAFAX_LISTEN": "127.0.0.1",
           "HYLAFAX_CLIENTS": clients}
    process = subprocess.Popen([str(script)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _scheduler_running(server):
            assert process.poll() is None and time.monotonic() < deadline, "the fax server did not start"
            time.sleep(0.05)
        assert subprocess.run(health, timeout=30).returncode == 0
        daemons = children(process.pid)
        assert set(daemons.values()) == {"faxq", "hfaxd"}
        request = RelayRequest(job_id="20250401-000000000001", number="+81354321111", dial_string="0-03-5432-1111",
                               document=docgen.text_pdf([[(20, 20, "送付のご案内", 16)]]), filename="a.pdf",
                               content_type="application/pdf", sender="sato@city.example.jp")
        job = server.job(HylafaxRelay(server.host, server.port).send(request))
        assert job["dial_string"] == "00354321111" and job["sender"] == "sato@city.example.jp"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)
    assert code == 0
    assert not [pid for pid in daemons if Path(f"/proc/{pid}").exists()], "a daemon outlived the container"
    assert subprocess.run(health, timeout=30).returncode != 0


def children(pid: int) -> dict[int, str]:
    """The living child processes of ``pid``, by PID, with their command names."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            name, rest = (entry / "stat").read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        state, parent = rest.split()[:2]
        if int(parent) == pid and state != "Z":
            found[int(entry.name)] = name.split("(", 1)[1]
    return found


# -- systemd ----------------------------------------------------------------------------------


def installed_units(tmp_path: Path) -> Path:
    """The units with the console script's install path pointing at an executable that exists
    here: `systemd-analyze verify` checks that every command it names can be executed."""
    shim = tmp_path / "opt" / "faxgate" / "bin" / "faxgate"
    shim.parent.mkdir(parents=True)
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m gateway \"$@\"\n")
    shim.chmod(0o755)
    target = tmp_path / "units"
    target.mkdir()
    for path in UNITS.iterdir():
        (target / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALLED, str(shim)), encoding="utf-8")
    return target


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    units = installed_units(tmp_path)
    names = ["faxgate.service", "faxgate.target"] + [f"faxgate@{part}.service" for part in ("smtp", "http", "worker")]
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(units / name) for name in names)],
                            capture_output=True, text=True, timeout=60, cwd=units)
    # It exits 0 even on unknown keys or bad values: any message at all is a finding.
    assert result.returncode == 0 and result.stdout == result.stderr == "", result.stdout + result.stderr


@pytest.mark.parametrize("name", ["faxgate.service", "faxgate@.service"])
def test_systemd_units_run_as_a_dedicated_user_hardened(name):
    service = unit(UNITS / name)["Service"]
    settings = dict(service)
    assert settings["User"] == settings["Group"] == "faxgate"
    assert values(service, "Environment") == [f"FAXGATE_CONFIG={CONFIG_PATH}"]
    assert values(service, "EnvironmentFile") == ["-/etc/faxgate/faxgate.env"]
    assert settings["Restart"] == "on-failure" and settings["KillMode"] == "mixed"
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectHome": "yes",
                       "PrivateDevices": "yes", "CapabilityBoundingSet": ""}.items():
        assert settings.get(key) == value, key
    state = f"/var/lib/{settings['StateDirectory']}"
    assert settings["WorkingDirectory"] == state and values(service, "ReadWritePaths") == [state]
    commands = values(service, "ExecStartPre") + values(service, "ExecStart")
    assert all(shlex.split(command)[0] == INSTALLED for command in commands)
    if name == "faxgate.service":
        assert values(service, "ExecStartPre") == [f"{INSTALLED} db upgrade"]
        assert values(service, "ExecStart") == [f"{INSTALLED} serve"]
    else:
        assert values(service, "ExecStart") == [f"{INSTALLED} serve --only %i"]
        assert unit(UNITS / name)["Unit"] and ("PartOf", "faxgate.target") in unit(UNITS / name)["Unit"]


def unit_commands(name: str, key: str, instance: str = "") -> list[list[str]]:
    return [as_repo_cli(shlex.split(command.replace("%i", instance))) for command in values(unit(UNITS / name)["Service"], key)]


def test_systemd_single_host_unit_migrates_then_serves(tmp_path, site):
    (migrate,) = unit_commands("faxgate.service", "ExecStartPre")
    result = run_once(migrate, site.env(), site.state)
    assert result.returncode == 0, result.stderr
    app = App(load_config(site.config))
    assert db.current_revision(app.engine) == db.head_revision()
    assert run_once(migrate, site.env(), site.state).returncode == 0, "safe at every start"
    (serve,) = unit_commands("faxgate.service", "ExecStart")
    check_serving(serve, site, {"smtp", "http", "worker"}, tmp_path / "serve.log")


def test_systemd_part_units_together_take_a_fax_through(tmp_path, site):
    """faxgate@smtp, faxgate@http and faxgate@worker side by side on one database: a fax
    submitted to the intake is screened by the worker and shown by the web part."""
    app = App(load_config(site.config))
    tokens = seed(app)  # also creates the SQLite schema, as `faxgate db upgrade` would
    parts = {part: Running(*unit_commands("faxgate@.service", "ExecStart", part), site.env(), site.state,
                           tmp_path / f"{part}.log") for part in ("smtp", "http", "worker")}
    try:
        wait_listening(site.smtp_port, parts["smtp"].process, parts["smtp"].log)
        wait_listening(site.http_port, parts["http"].process, parts["http"].log)
        job_id = queued_id(submit(site.smtp_port, fax_message(docgen.text_pdf([[(20, 20, "送付のご案内", 16)]]))))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        answer = httpx.get(f"http://127.0.0.1:{site.http_port}/api/jobs/{job_id}",
                           headers={"Authorization": f"Bearer {tokens['sato']}"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["state"] == "awaiting_confirmation"
    finally:
        codes = {part: running.stop() for part, running in parts.items()}
    assert codes == {"smtp": 0, "http": 0, "worker": 0}


# -- the configuration --------------------------------------------------------------------------


def known_keys() -> dict[str, set[str]]:
    """Every section and key gateway.config accepts, read from its dataclasses."""
    sections = {f.name: f.default_factory for f in dataclasses.fields(Config) if f.name != "source"}
    return {name: {f.name for f in dataclasses.fields(cls)} for name, cls in sections.items()}


def test_example_config_loads_and_names_every_key():
    path = DEPLOY / "faxgate.example.toml"
    config = load_config(path)  # validates every value, the PBX profile included
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = known_keys()
    assert set(data) == set(keys)
    for section, names in keys.items():
        assert set(data[section]) == names, f"[{section}]: missing {sorted(names - set(data[section]))}"
    # Every key is explained on its own line.
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"\[(\w+)\]", line.strip()):
            section = match.group(1)
        elif match := re.match(r"(\w+)\s*=", line):
            assert re.search(r"#\s*\S", line.split("=", 1)[1]), f"[{section}] {match.group(1)} has no comment"
    assert config.database.url.startswith("postgresql"), "a real office runs PostgreSQL"


def test_deploy_shell_scripts_pass_shellcheck():
    scripts = [DEPLOY / "hylafax" / "start.sh"]
    result = subprocess.run([str(TOOLS / "shellcheck"), *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(os.access(script, os.X_OK) for script in scripts)


# -- the install guide ------------------------------------------------------------------------


def guide_commands() -> list[list[str]]:
    """Every `faxgate …` line in the guide's shell blocks (also as run through docker compose),
    cut at the first pipe or redirection."""
    text = (REPO / "docs" / "install.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```(?:sh|console)\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():  # a continued line is one command, as in a shell
            line = line.strip().removeprefix("$ ").removeprefix("# ")
            if line.startswith("docker compose run --rm migrate "):
                line = "faxgate " + line.removeprefix("docker compose run --rm migrate ")
            if not line.startswith("faxgate "):
                continue
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens = []
            for token in lexer:
                if token in ("|", "||", "&&", ";", "<", ">", ">>", "&"):
                    break
                tokens.append(token)
            found.append(tokens[1:])
    return found


def test_install_guide_commands_parse_with_the_real_cli():
    commands = guide_commands()
    assert len(commands) >= 10, "the guide walks through the commands"
    for args in commands:
        command, names, rest = command_path(args)
        assert names and not isinstance(command, click.Group), f"faxgate {' '.join(args)}: no such command"
        try:
            command.make_context(" ".join(["faxgate", *names]), rest, resilient_parsing=False)
        except click.BadParameter as exc:
            if not isinstance(exc.param.type, click.Path):  # the operator's files do not exist here
                pytest.fail(f"faxgate {' '.join(args)}: {exc.format_message()}")
        except click.UsageError as exc:
            pytest.fail(f"faxgate {' '.join(args)}: {exc.format_message()}")
    used = {" ".join(command_path(args)[1]) for args in commands}
    for needed in ("db upgrade", "records init-ca", "tls self-signed", "users add", "devices add", "directory import",
                   "directory audit", "audit verify"):
        assert needed in used, f"the guide never shows `faxgate {needed}`"

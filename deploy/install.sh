#!/usr/bin/env bash
# Install or upgrade Matang as a systemd service from this source checkout, in a virtual
# environment. Run as root from anywhere:   sudo deploy/install.sh
#
# Idempotent: run it again after `git pull` to upgrade (then `systemctl restart matang`; the
# database migrations run when the bot starts). It never touches an existing environment file
# or database.
#
# Layout (change with the variables below):
#   /opt/matang/venv          the virtual environment (root-owned; the bot cannot modify it)
#   /etc/matang/matang.env    the configuration (root:matang, 0640): the bot token lives here
#   /var/lib/matang           the database (created by systemd as the bot's StateDirectory)
set -euo pipefail

MATANG_USER="${MATANG_USER:-matang}"
MATANG_VENV="${MATANG_VENV:-/opt/matang/venv}"
MATANG_ETC="${MATANG_ETC:-/etc/matang}"
MATANG_STATE="${MATANG_STATE:-/var/lib/matang}"
PYTHON="${PYTHON:-python3}"
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/.." && pwd)"

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
[ -f "$src/pyproject.toml" ] || die "$src does not look like a Matang checkout"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is older than 3.11; install python3.11 (or newer) and set PYTHON=python3.11"
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || die "$PYTHON cannot make virtual environments; install python3-venv (Debian/Ubuntu)"

if ! id "$MATANG_USER" >/dev/null 2>&1; then
    echo "creating system user $MATANG_USER"
    useradd --system --user-group --home-dir "$MATANG_STATE" --no-create-home \
        --shell /usr/sbin/nologin "$MATANG_USER"
fi

echo "installing Matang from $src into $MATANG_VENV"
[ -x "$MATANG_VENV/bin/python" ] || "$PYTHON" -m venv "$MATANG_VENV"
"$MATANG_VENV/bin/python" -m pip install --quiet --upgrade pip
# The hashed lock first (the audited dependency set), then Matang itself without re-resolving.
"$MATANG_VENV/bin/python" -m pip install --quiet --require-hashes -r "$src/requirements/lock.txt"
"$MATANG_VENV/bin/python" -m pip install --quiet --upgrade --no-deps "$src"
"$MATANG_VENV/bin/matang" --version
# The build compiles the scoring modules when a C compiler is here, else keeps them plain Python
# (slower scoring, the same results; docs/operators.md): say which this install has.
if [ "$("$MATANG_VENV/bin/python" -c 'import scoring; print(scoring.build())')" = mypyc ]; then
    echo "scoring: compiled (mypyc)"
else
    echo "scoring: plain Python (no C compiler found: apt install gcc python3-dev, then run this again)"
fi

install -d -m 0750 -o root -g "$MATANG_USER" "$MATANG_ETC"
if [ ! -e "$MATANG_ETC/matang.env" ]; then
    install -m 0640 -o root -g "$MATANG_USER" "$here/env.example" "$MATANG_ETC/matang.env"
    echo "wrote $MATANG_ETC/matang.env: put the bot token in it"
fi
install -d -m 0700 -o "$MATANG_USER" -g "$MATANG_USER" "$MATANG_STATE"

install -m 0644 "$here/matang.service" "$UNIT_DIR/matang.service"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi

cat <<NEXT

Next:
  1. edit $MATANG_ETC/matang.env (MATANG_TELEGRAM_TOKEN at least)
  2. systemctl enable --now matang          (after an upgrade: systemctl restart matang)
  3. journalctl -u matang -f                (logs)
  4. sudo -u $MATANG_USER sh -c 'MATANG_DB=$MATANG_STATE/matang.db; set -a; . $MATANG_ETC/matang.env; exec $MATANG_VENV/bin/matang health'
NEXT

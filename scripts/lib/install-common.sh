#!/usr/bin/env bash
# Shared steps of install-leader.sh and install-agent.sh. Every change goes through `run` or `put_file`,
# so `--dry-run` prints the whole plan and changes nothing. Every step checks before it acts (idempotent).

DRY_RUN=0
APP_DIR=/opt/colony
CONFIG_DIR=/etc/colony
STATE_DIR=/var/lib/colony
SERVICE_USER=colony
NODE_MAJOR=22
TARBALL=""
FROM_DIR=""
STEP=0

say() { printf '%s\n' "$*"; }
step() { STEP=$((STEP + 1)); printf '\n[%d] %s\n' "$STEP" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# run CMD...: print it, and run it unless --dry-run.
run() {
  printf '  + %s\n' "$*"
  if [ "$DRY_RUN" -eq 0 ]; then "$@"; fi
}

# put_file PATH MODE OWNER <<< CONTENT: write a file (content on stdin); in dry-run show it instead.
put_file() {
  local path=$1 mode=$2 owner=$3 content
  content=$(cat)
  printf '  + write %s (mode %s, owner %s)\n' "$path" "$mode" "$owner"
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '%s\n' "$content" | sed 's/^\(password\|api_keys\|browser_password\)=.*/\1=<generated>/; s/^/      | /'
    return 0
  fi
  install -d -m 0750 "$(dirname "$path")"
  local tmp
  tmp=$(mktemp "${path}.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
}

need_root() {
  if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo $0 $*), or with --dry-run to see the plan"; fi
}

gen_secret() { openssl rand -base64 24 2>/dev/null | tr -d '/+=\n' || head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

# Node 22 LTS (Node 20 is end-of-life). Pi Zero / Pi 1 (armv6l) have no NodeSource build: use the
# unofficial-builds tarball instead.
ensure_node() {
  step "Node.js ${NODE_MAJOR} LTS"
  local have=""
  if command -v node >/dev/null 2>&1; then have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true); fi
  if [ -n "$have" ] && [ "$have" -ge "$NODE_MAJOR" ]; then
    say "  node $(node --version) is recent enough: nothing to do"
    return 0
  fi
  say "  node ${have:-missing} is older than ${NODE_MAJOR}: installing Node ${NODE_MAJOR}"
  if [ "$(uname -m)" = "armv6l" ]; then
    local v="v${NODE_MAJOR}.12.0"
    run curl -fsSLo /tmp/node.tar.xz "https://unofficial-builds.nodejs.org/download/release/${v}/node-${v}-linux-armv6l.tar.xz"
    run tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1
  else
    run apt-get update -qq
    run apt-get install -y -qq ca-certificates curl gnupg
    run install -d -m 0755 /etc/apt/keyrings
    run sh -c "curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg"
    run sh -c "echo 'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main' > /etc/apt/sources.list.d/nodesource.list"
    run apt-get update -qq
    run apt-get install -y -qq nodejs
  fi
}

ensure_apt() {
  step "Debian packages: $*"
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then say "  all installed"; return 0; fi
  run apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_user() {
  step "service user ${SERVICE_USER} and groups: $*"
  if id "$SERVICE_USER" >/dev/null 2>&1; then say "  user ${SERVICE_USER} exists"
  else run useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"; fi
  for g in "$@"; do
    getent group "$g" >/dev/null 2>&1 || run groupadd --system "$g"
    if id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then :; else run usermod -aG "$g" "$SERVICE_USER"; fi
  done
}

# The app: a prebuilt tarball (dist/ + node_modules/ built for this CPU; a Pi Zero would need most of an
# hour to compile better-sqlite3), or a checkout copied and built here (--from DIR).
ensure_app() {
  step "the app in ${APP_DIR}"
  local want
  if [ -n "$TARBALL" ]; then
    run install -d -m 0755 "$APP_DIR"
    case "$TARBALL" in
      http://* | https://*) run curl -fsSLo /tmp/colony.tar.gz "$TARBALL"; run tar -xzf /tmp/colony.tar.gz -C "$APP_DIR" --strip-components=1 ;;
      *) [ "$DRY_RUN" -eq 1 ] || [ -f "$TARBALL" ] || die "tarball $TARBALL not found"; run tar -xzf "$TARBALL" -C "$APP_DIR" --strip-components=1 ;;
    esac
    return 0
  fi
  want=${FROM_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
  if [ "$(cd "$want" && pwd)" = "$APP_DIR" ] && [ -f "$APP_DIR/dist/cli/colony.js" ]; then say "  already installed from ${APP_DIR}"; return 0; fi
  say "  from the checkout ${want} (give --tarball FILE|URL for a prebuilt build on a Pi Zero)"
  run install -d -m 0755 "$APP_DIR"
  run cp -a "$want/package.json" "$want/package-lock.json" "$want/systemd" "$want/scripts" "$APP_DIR/"
  if [ -d "$want/dist" ]; then run cp -a "$want/dist" "$APP_DIR/"; fi
  run sh -c "cd '$APP_DIR' && npm ci --omit=dev --no-audit --no-fund --ignore-scripts=false"
  if [ ! -d "$want/dist" ]; then run sh -c "cd '$want' && npm ci --no-audit --no-fund && npm run build && cp -a dist '$APP_DIR/'"; fi
}

# Units via the app's own renderer (the same text `colony deploy` shows), then enable and start.
install_units() {
  local role=$1; shift
  step "systemd unit colony-${role}.service"
  run "$(command -v node || echo /usr/bin/node)" "$APP_DIR/dist/cli/colony.js" deploy --prefix / --role "$role" --app-dir "$APP_DIR" "$@"
  run systemctl daemon-reload
  run systemctl enable "colony-${role}.service"
}

start_unit() {
  step "start colony-$1.service"
  run systemctl restart "colony-$1.service"
  say "  follow it with: journalctl -u colony-$1.service -f"
}

# I2C and the 2-channel hardware PWM overlay (stirring/LED PWM through /sys/class/pwm).
enable_i2c_pwm() {
  step "enable I2C and the PWM overlay"
  if command -v raspi-config >/dev/null 2>&1; then run raspi-config nonint do_i2c 0
  else say "  raspi-config not found (not Raspberry Pi OS?): editing config.txt directly"; fi
  local cfg=""
  for c in /boot/firmware/config.txt /boot/config.txt; do [ -f "$c" ] && { cfg=$c; break; }; done
  if [ -z "$cfg" ]; then say "  no /boot/firmware/config.txt: would add dtparam=i2c_arm=on and dtoverlay=pwm-2chan on a Pi"; return 0; fi
  for line in "dtparam=i2c_arm=on" "dtoverlay=pwm-2chan"; do
    if grep -qxF "$line" "$cfg"; then say "  $cfg has $line"; else run sh -c "echo '$line' >> '$cfg'"; REBOOT_NEEDED=1; fi
  done
  if ! grep -qx i2c-dev /etc/modules 2>/dev/null; then run sh -c "echo i2c-dev >> /etc/modules"; fi
}

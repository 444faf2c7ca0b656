#!/usr/bin/env bash
# Install the Colony agent on a Raspberry Pi bioreactor unit. Idempotent: run it again to update or repair.
#
#   sudo bash scripts/install-agent.sh --unit unit1 --config-snippet unit1.ini [--tarball colony-arm64.tgz]
#   bash scripts/install-agent.sh --dry-run        # print every step, change nothing
#
# The [mqtt] credentials come from `colony workers add unit1 --out unit1.ini` on the leader (never a default).
set -euo pipefail
# shellcheck source=lib/install-common.sh
. "$(dirname "$0")/lib/install-common.sh"

UNIT=$(hostname -s 2>/dev/null || hostname)
SNIPPET=""
BACKEND=auto
REBOOT_NEEDED=0
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; say "options: --unit NAME --config-snippet FILE --backend auto|sim|pi --tarball FILE|URL --from DIR --app-dir DIR --user NAME --dry-run"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --unit) UNIT=$2; shift ;;
    --config-snippet) SNIPPET=$2; shift ;;
    --backend) BACKEND=$2; shift ;;
    --tarball) TARBALL=$2; shift ;;
    --from) FROM_DIR=$2; shift ;;
    --app-dir) APP_DIR=$2; shift ;;
    --user) SERVICE_USER=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done
[[ "$UNIT" =~ ^[A-Za-z0-9_-]+$ ]] || die "unit name '$UNIT' may use only letters, digits, - and _"
need_root "$@"
[ "$DRY_RUN" -eq 1 ] && say "DRY RUN: the plan for agent '$UNIT'; nothing is changed."

ensure_node
ensure_apt i2c-tools gpiod openssl
ensure_user gpio i2c spi
ensure_app
enable_i2c_pwm

step "config ${CONFIG_DIR}/config.ini"
if [ -n "$SNIPPET" ]; then
  [ "$DRY_RUN" -eq 1 ] || [ -f "$SNIPPET" ] || die "config snippet $SNIPPET not found"
  if [ -f "$SNIPPET" ]; then put_file "$CONFIG_DIR/config.ini" 0640 "root:$SERVICE_USER" <"$SNIPPET"
  else say "  + write $CONFIG_DIR/config.ini from $SNIPPET"; fi
elif [ -f "$CONFIG_DIR/config.ini" ] && grep -q '^password=' "$CONFIG_DIR/config.ini"; then
  say "  $CONFIG_DIR/config.ini has MQTT credentials: kept"
else
  say "  no credentials yet: on the leader run  colony workers add $UNIT --out $UNIT.ini"
  say "  then re-run this script with --config-snippet $UNIT.ini"
fi

install_units agent --unit "$UNIT" --backend "$BACKEND"
if [ "$DRY_RUN" -eq 1 ] || { [ -f "$CONFIG_DIR/config.ini" ] && grep -q '^password=' "$CONFIG_DIR/config.ini"; }; then
  start_unit agent
else
  say "  not starting: the unit has no MQTT credentials yet"
fi

step "check"
run "$(command -v node || echo /usr/bin/node)" "$APP_DIR/dist/cli/colony.js" doctor --agent --config "$CONFIG_DIR/config.ini"
[ "$REBOOT_NEEDED" -eq 1 ] && say "config.txt changed: reboot to enable I2C and PWM (sudo reboot)"
say "done."

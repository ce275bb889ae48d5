#!/usr/bin/env bash
# The README's start command: installs what is missing, then runs the whole local stack
# (devcloud, PostgreSQL, the five services) in the foreground until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib/bootstrap.sh"
cd "$gas_root"
ensure_pnpm
ensure_apt "${GAS_APT_PACKAGES[@]}"
ensure_node_modules
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec pnpm -s exec tsx tools/devcloud/src/stack/main.ts "$@"

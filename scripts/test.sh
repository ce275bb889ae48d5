#!/usr/bin/env bash
# The README's test command: installs what is missing, then typecheck, lint and every test.
set -euo pipefail
source "$(dirname "$0")/lib/bootstrap.sh"
cd "$gas_root"
ensure_pnpm
ensure_apt "${GAS_APT_PACKAGES[@]}"
ensure_node_modules
say "typecheck"; pnpm -s typecheck
say "lint";      pnpm -s lint
say "test";      pnpm -s test "$@"

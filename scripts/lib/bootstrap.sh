# Shared by scripts/start.sh and scripts/test.sh: installs what the project needs on a
# fresh machine with Node, and nothing when it is already there (idempotent).
#   - pnpm (the version pinned in package.json's packageManager field)
#   - the workspace's npm dependencies, exactly as locked
#   - Debian packages the tests and the stack use (peer tools, Chromium, PostgreSQL)

gas_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '\033[1m[gas]\033[0m %s\n' "$*" >&2; }

ensure_pnpm() {
  local want
  want="$(node -p "require('$gas_root/package.json').packageManager.split('@')[1]")"
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
    say "installing pnpm $want"
    npm install -g "pnpm@$want" >/dev/null
  fi
}

# ensure_apt PKG... installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Quiet when it works; when it fails (e.g. a package.json out of step with pnpm-lock.yaml),
# pnpm's own explanation is printed before the script stops, never a silent exit.
ensure_node_modules() {
  local log
  log="$(mktemp)"
  if ! (cd "$gas_root" && pnpm install --frozen-lockfile --prefer-offline >"$log" 2>&1); then
    say "pnpm install failed:"
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# The Debian packages every test run and the local stack need.
GAS_APT_PACKAGES=(bcftools tabix snpeff chromium postgresql openssl)

#!/usr/bin/env bash
# Sets up this checkout on a Debian/Ubuntu machine; the README's two commands start with it.
#
#   scripts/setup.sh [demo]          what `o1coder demo` needs
#   scripts/setup.sh test            that, plus what `npm test` needs
#   scripts/setup.sh --check [P]     list what is missing and change nothing (exit 1 if anything is)
#
# Idempotent and silent when everything is present. Debian packages are installed and services
# started only as root or through sudo; otherwise it prints the exact command and exits 2.
# Exit codes: 0 ready, 1 a step failed (its output says why), 2 root needed, 64 bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
profile="${1:-demo}"
case "$profile" in demo | test) ;; *) echo "usage: scripts/setup.sh [--check] [demo|test]" >&2; exit 64 ;; esac

pg_url="${O1CODER_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# ---------------------------------------------------------------------------------------------
# Checks: each succeeds when its need is met.

node_ok() { node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; }

# node_modules holds exactly what package-lock.json pins (npm's own record of the installed tree).
node_modules_current() {
  [ -f node_modules/.package-lock.json ] && node -e '
    const fs = require("fs")
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages
    const same = (a, b) => a.version === b.version && Boolean(a.link) === Boolean(b.link)
    const ok = Object.entries(want).every(([k, p]) => k === "" || (have[k] ? same(have[k], p) : p.optional === true)) &&
      Object.keys(have).every((k) => k in want)
    process.exit(ok ? 0 : 1)'
}

pg_address() { node -e 'const u = new URL(process.argv[1]); console.log(`-h ${u.hostname || "127.0.0.1"} -p ${u.port || 5432}`)' "$pg_url"; }
pg_running() { pg_isready -q $(pg_address); }
pg_version() { ls /etc/postgresql | sort -V | tail -1; }
# The tests connect through this URL and create (and drop) their own databases from it.
pg_test_db_ok() { psql "$pg_url" -Atqc "select rolcreatedb or rolsuper from pg_roles where rolname = current_user" | grep -qx t; }
pg_test_db_name() { local db="${pg_url##*/}"; echo "${db%%\?*}"; }
slurm_idle() { sinfo -h -N -o '%t' | grep -qE '^(idle|mix|alloc)'; }

# ---------------------------------------------------------------------------------------------
# The needs, one line each:   need PROFILE "WHAT" "CHECK" KIND COMMAND
#   apt PACKAGES     Debian packages (every missing one installed in one apt-get, as root)
#   root COMMAND     run as root (services)           run COMMAND   run as the caller
#   manual TEXT      cannot be automated here: TEXT says what to do
# A "demo" need is also a "test" need. To add a need, add a line.

whats=() checks=() kinds=() commands=()
need() {
  [ "$1" = demo ] || [ "$profile" = test ] || return 0
  whats+=("$2") checks+=("$3") kinds+=("$4") commands+=("$5")
}

need demo "Node.js 20 or newer"            "node_ok"                                 manual "install Node.js 20+ (https://nodejs.org or the distribution's nodejs package)"
need demo "bubblewrap (the sandbox)"       "[ -x /usr/bin/bwrap ]"                   apt    "bubblewrap"
need demo "Python 3.11 (runs model code)"  "[ -x /usr/bin/python3.11 ]"              apt    "python3.11"
need demo "node modules (npm ci)"          "node_modules_current"                    run    "npm ci --no-audit --no-fund"
need demo "CLI bundle (packages/cli/dist)" "node scripts/build-cli.mjs --check"      run    "node scripts/build-cli.mjs --quiet"
need test "PostgreSQL"                     "command -v pg_ctlcluster"                apt    "postgresql"
need test "Slurm and munge"                "command -v sbatch && command -v munged"  apt    "slurm-wlm munge"
need test "PyYAML (verl stand-in of the recipe tests)" "/usr/bin/python3 -c 'import yaml'" apt "python3-yaml"
need test "requests for Python (verl reward clients in the serve tests)" "/usr/bin/python3 -c 'import requests'" apt "python3-requests"
need test "cmake and g++ (llama-server)"   "command -v cmake && command -v g++"      apt    "cmake g++"
need test "Chromium and a font (UI tests)" "[ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/truetype/dejavu ]" apt "chromium fonts-dejavu-core"
need test "PostgreSQL running"             "pg_running"                              root   'pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start'
need test "test database $pg_url"          "pg_test_db_ok"                           run    'psql "${pg_url%/*}/postgres" -qc "CREATE DATABASE \"$(pg_test_db_name)\""'
need test "single-node Slurm"              "slurm_idle"                              root   "bash scripts/setup-slurm.sh"
need test "llama-server (built once, cached)" "bash scripts/llama-server.sh --path"  run    "bash scripts/llama-server.sh"

# ---------------------------------------------------------------------------------------------

met() { eval "${checks[$1]}" >/dev/null 2>&1; }
say() { echo "setup: $*" >&2; }

missing=()
for i in "${!whats[@]}"; do met "$i" || missing+=("$i"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$check_only" = 1 ]; then
  for i in "${missing[@]}"; do echo "missing: ${whats[$i]}"; done
  exit 1
fi

is_root() { [ "$(id -u)" = 0 ]; }
can_sudo() { command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [ -t 0 ]; }; }

# Runs a command as root: directly, through sudo, or not at all (prints it and exits 2).
sudo_prefix() {
  if is_root; then echo ""
  elif can_sudo; then echo "sudo "
  else return 1; fi
}
needs_root() {
  say "$1 needs root. Run:"
  echo "  $2" >&2
  say "then again: scripts/setup.sh $profile"
  exit 2
}
as_root() {
  local sudo
  sudo=$(sudo_prefix) || needs_root "$2" "sudo $(eval "echo \"$1\"")"
  eval "$sudo$1"
}

# Debian packages first, in one go: later steps (Postgres, Slurm, the llama-server build) use them.
packages=()
for i in "${missing[@]}"; do [ "${kinds[$i]}" = apt ] && packages+=(${commands[$i]}); done
if [ ${#packages[@]} -gt 0 ]; then
  sudo=$(sudo_prefix) || needs_root "installing ${packages[*]}" "sudo apt-get update && sudo apt-get install -y ${packages[*]}"
  say "installing Debian packages: ${packages[*]}"
  ${sudo}apt-get update -qq
  ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

for i in "${missing[@]}"; do
  met "$i" && continue
  case "${kinds[$i]}" in
    apt) say "${whats[$i]}: still missing after installing ${commands[$i]}"; exit 1 ;;
    manual) say "${whats[$i]}: ${commands[$i]}"; exit 1 ;;
    run) say "${whats[$i]}: ${commands[$i]}"; eval "${commands[$i]}" || { say "${whats[$i]}: failed"; exit 1; } ;;
    root) say "${whats[$i]}: ${commands[$i]}"; as_root "${commands[$i]}" "${whats[$i]}" ;;
  esac
  # Services take a moment to answer after they start.
  for _ in $(seq 1 30); do met "$i" && break; sleep 1; done
  met "$i" || { say "${whats[$i]}: still not met after set-up (check: ${checks[$i]})"; exit 1; }
done
say "ready for: $profile"

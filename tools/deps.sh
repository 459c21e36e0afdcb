#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/deps.sh - install the Debian 12 packages rebound needs, if missing.
# Works as root or as a user with sudo. Safe to rerun.
set -euo pipefail

PKGS=(build-essential cmake pkg-config python3
      libgmime-3.0-dev libetpan-dev libpq-dev libpcre2-dev libconfig-dev
      libidn2-dev libcmocka-dev postgresql-15 dovecot-imapd clang
      libclang-rt-14-dev postfix)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "deps: missing packages (${missing[*]}) and no sudo to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
# Postfix unconfigured (no main.cf): the packaged service never starts;
# tests/pipe runs its own instance on a private port.
if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
	echo "postfix postfix/main_mailer_type select No configuration" |
		"${SUDO[@]}" debconf-set-selections
fi
"${SUDO[@]}" apt-get update -qq
# Debian's postgresql and dovecot packages start system services; rebound's
# tests start their own private instances, so keep the system ones quiet.
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${missing[@]}"

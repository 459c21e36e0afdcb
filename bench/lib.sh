# SPDX-License-Identifier: BSD-2-Clause
# bench/lib.sh - sourced by the corpus benchmarks: sets top, corpus, list
# (the corpus files of bsd/ dos/ err/ not/) and floor (the GMime floor,
# built from ../shared/tools/gmime-floor.c); exits 0 with "skipped" when
# ../shared is not beside the checkout.
top=$(cd "$(dirname "$0")/.." && pwd)
corpus=$top/../shared/corpus/sisimai
floor_src=$top/../shared/tools/gmime-floor.c
if [ ! -d "$corpus" ] || [ ! -f "$floor_src" ]; then
	echo "bench: ../shared corpus or gmime-floor.c not found: skipped"
	exit 0
fi
list=$(mktemp)
floor=$(mktemp)
trap 'rm -f "$list" "$floor"' EXIT
find "$corpus"/bsd "$corpus"/dos "$corpus"/err "$corpus"/not -type f | sort >"$list"
cc -O2 -o "$floor" "$floor_src" $(pkg-config --cflags --libs gmime-3.0)

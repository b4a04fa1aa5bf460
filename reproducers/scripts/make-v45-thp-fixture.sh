#!/usr/bin/env bash
# make-v45-thp-fixture.sh — one git history holding the three kernels of the
# 2016 vfio/THP regression, from trees YOU provide (nothing of them is in
# this repository), for test/v45-thp-e2e.test.ts.
# Input:  $1 a v4.4.1 tree, $2 a v4.5.0 tree, $3 a v4.5.7 tree: each a git
#            repository (bare or not; HEAD is used) or a plain directory;
#         $4 or $KBISECT_V45_FIXTURE_DIR: where to build the history
#            (default ~/.cache/kbisect/fixtures/linux-4.5-thp).
# Output: a git repository there, built once (tag v45-ready marks it done):
#   v4.4.1   the first tree as one commit (before the THP refcount redesign)
#   v4.5.0   the second on top (the redesign, without the fix)
#   v4.5.7   the third on top (stable, with page_trans_huge_mapcount, 6d0a07edd17c)
# Each tree's Makefile version is checked, and v4.5.7's mm/ must have the fix.
# Scripts that lost their exec bit in a snapshot get it back (any file
# starting with "#!"). Prints the directory on stdout.
set -euo pipefail
usage='usage: make-v45-thp-fixture.sh <v4.4.1 tree> <v4.5.0 tree> <v4.5.7 tree> [dir]'
t441=${1:?$usage} t450=${2:?$usage} t457=${3:?$usage}
dir=${4:-${KBISECT_V45_FIXTURE_DIR:-$HOME/.cache/kbisect/fixtures/linux-4.5-thp}}
if git -C "$dir" rev-parse -q --verify refs/tags/v45-ready >/dev/null 2>&1; then echo "$dir"; exit 0; fi
rm -rf "$dir"; mkdir -p "$dir"
git -C "$dir" init -q -b master
export GIT_AUTHOR_NAME='Fixture' GIT_AUTHOR_EMAIL='fixture@example.org' GIT_COMMITTER_NAME='Fixture' GIT_COMMITTER_EMAIL='fixture@example.org'
t=1450000000
# add TREE TAG PATCHLEVEL SUBLEVEL: replace the work tree's contents with TREE and commit.
add() {
  local src=$1 tag=$2 patchlevel=$3 sublevel=$4
  find "$dir" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  if git --git-dir="$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    git --git-dir="$src" archive HEAD | tar -x -C "$dir"
  elif git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    git -C "$src" archive HEAD | tar -x -C "$dir"
  else
    tar -C "$src" --exclude=.git -cf - . | tar -x -C "$dir"
  fi
  grep -q "^PATCHLEVEL = $patchlevel\$" "$dir/Makefile" && grep -q "^SUBLEVEL = $sublevel\$" "$dir/Makefile" \
    || { echo "make-v45-thp-fixture: $src is not a $tag tree (Makefile says otherwise)" >&2; exit 1; }
  grep -rlI '^#!' "$dir/scripts" "$dir/arch/x86" "$dir/tools" 2>/dev/null | xargs -r chmod +x
  git -C "$dir" add -A
  t=$((t + 86400)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -m "Linux $tag (snapshot)"
  git -C "$dir" tag "$tag"
}
add "$t441" v4.4.1 4 1
add "$t450" v4.5.0 5 0
if grep -q page_trans_huge_mapcount "$dir/mm/huge_memory.c"; then echo "make-v45-thp-fixture: $t450 already has page_trans_huge_mapcount: not v4.5.0" >&2; exit 1; fi
add "$t457" v4.5.7 5 7
grep -q page_trans_huge_mapcount "$dir/mm/huge_memory.c" || { echo "make-v45-thp-fixture: $t457 lacks page_trans_huge_mapcount (6d0a07edd17c)" >&2; exit 1; }
git -C "$dir" tag v45-ready
echo "$dir"

#!/usr/bin/env bash
# make-v44-fixture.sh — a v4.4-era kernel history with the 2016 series' shape,
# from a v4.4 tree YOU provide (nothing of it is in this repository).
# Input:  $1: a local v4.4-era kernel tree, as a git repository (bare or not;
#             HEAD is used) or a plain directory;
#         $2 or $KBISECT_V44_FIXTURE_DIR: where to build the history
#             (default ~/.cache/kbisect/fixtures/linux-4.4-thp).
# Output: a git repository there, built once (tag v44-ready marks it done):
#   v4.4-base                          the tree as one commit
#   3 commits                          small changes in mm/
#   "mm: temporarily mark THP broken"  adds && BROKEN to TRANSPARENT_HUGEPAGE
#   4 commits                          changes in mm/huge_memory.c (THP compiled out);
#                                      part 2 (tag v44-culprit) is the regression:
#                                      khugepaged's collapse checks counts mappings
#                                      (page_mapcount) instead of references, so it
#                                      collapses pages a device has pinned and the
#                                      pinned frames move (the 2016 report's symptom)
#   "mm: re-enable THP"                removes it again
#   2 commits                          small changes in mm/         (tip: v44-bad)
# Scripts that lost their exec bit in a snapshot get it back (any file
# starting with "#!"). Prints the directory on stdout.
set -euo pipefail
src=${1:?usage: make-v44-fixture.sh <v4.4 tree> [dir]}
dir=${2:-${KBISECT_V44_FIXTURE_DIR:-$HOME/.cache/kbisect/fixtures/linux-4.4-thp}}
if git -C "$dir" rev-parse -q --verify refs/tags/v44-ready >/dev/null 2>&1 && git -C "$dir" rev-parse -q --verify refs/tags/v44-culprit >/dev/null 2>&1; then echo "$dir"; exit 0; fi
rm -rf "$dir"; mkdir -p "$dir"
if git --git-dir="$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  git --git-dir="$src" archive HEAD | tar -x -C "$dir"
elif git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  git -C "$src" archive HEAD | tar -x -C "$dir"
else
  cp -a "$src/." "$dir/"; rm -rf "$dir/.git"
fi
grep -q '^PATCHLEVEL = 4$' "$dir/Makefile" || { echo "make-v44-fixture: $src is not a v4.4 tree" >&2; exit 1; }
grep -rlI --exclude-dir=.git '^#!' "$dir/scripts" "$dir/arch/x86" "$dir/tools" 2>/dev/null | xargs -r chmod +x
export GIT_AUTHOR_NAME='Fixture' GIT_AUTHOR_EMAIL='fixture@example.org' GIT_COMMITTER_NAME='Fixture' GIT_COMMITTER_EMAIL='fixture@example.org'
t=1450000000
commit() { t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -a -m "$1"; }
git -C "$dir" init -q -b master
git -C "$dir" add -A
t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -m "Linux 4.4 (snapshot)"
git -C "$dir" tag v4.4-base
files=(mm/gup.c mm/rmap.c mm/migrate.c)
n=0
tweak() { n=$((n + 1)); f=${files[$(( (n - 1) % ${#files[@]} ))]}; echo "/* v44 fixture: mm change $n */" >> "$dir/$f"; commit "mm: fixture change $n"; }
for _ in 1 2 3; do tweak; done
awk 'BEGIN{inthp=0} /^config TRANSPARENT_HUGEPAGE$/{inthp=1} inthp && /^\tdepends on HAVE_ARCH_TRANSPARENT_HUGEPAGE$/{print $0 " && BROKEN"; inthp=0; next} {print}' "$dir/mm/Kconfig" > "$dir/mm/Kconfig.new"
mv "$dir/mm/Kconfig.new" "$dir/mm/Kconfig"
grep -q 'depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN$' "$dir/mm/Kconfig"
commit "mm: temporarily mark THP broken"
for i in 1 2 3 4; do
  echo "/* v44 fixture: thp refcount step $i */" >> "$dir/mm/huge_memory.c"
  if [ "$i" = 2 ]; then
    # Both collapse checks (scan and isolate) stop counting references: a
    # page pinned by get_user_pages now looks collapsible.
    check='page_count(page) != 1 + !!PageSwapCache(page)'
    [ "$(grep -cF "$check" "$dir/mm/huge_memory.c")" = 2 ] || { echo "make-v44-fixture: the two khugepaged collapse checks are not where v4.4 has them" >&2; exit 1; }
    sed -i 's/page_count(page) != 1 + !!PageSwapCache(page)/page_mapcount(page) != 1/' "$dir/mm/huge_memory.c"
    commit "thp: refcount redesign, part $i: khugepaged counts mappings, not references"
    git -C "$dir" tag v44-culprit
  else
    commit "thp: refcount redesign, part $i"
  fi
done
sed -i 's/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && BROKEN$/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE/' "$dir/mm/Kconfig"
commit "mm: re-enable THP"
for _ in 1 2; do tweak; done
git -C "$dir" tag v44-bad
git -C "$dir" tag v44-ready
echo "$dir"

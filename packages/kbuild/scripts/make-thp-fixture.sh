#!/usr/bin/env bash
# make-thp-fixture.sh — a real kernel history with a THP-under-BROKEN stretch.
# Input:  /usr/src/linux-source-6.1.tar.xz (Debian's linux-source-6.1);
#         $1 or $KBISECT_FIXTURE_DIR: where to build it
#         (default ~/.cache/kbisect/fixtures/linux-6.1-thp).
# Output: a git repository there, built once (tag fixture-ready marks it done):
#   v6.1-base            the unpacked tree as one commit
#   8 commits            small changes in mm/
#   "mm: temporarily mark THP broken"   adds && BROKEN to TRANSPARENT_HUGEPAGE
#   12 commits           changes in mm/huge_memory.c (THP compiled out here)
#   "mm: re-enable THP"  removes it again (the commit 2016 bisections blamed)
#   8 commits            more changes in mm/
# Prints the directory on stdout. Mirrors the 2016 series' shape; not its code.
set -euo pipefail
dir=${1:-${KBISECT_FIXTURE_DIR:-$HOME/.cache/kbisect/fixtures/linux-6.1-thp}}
src=/usr/src/linux-source-6.1.tar.xz
if git -C "$dir" rev-parse -q --verify refs/tags/fixture-ready >/dev/null 2>&1; then echo "$dir"; exit 0; fi
[ -f "$src" ] || { echo "make-thp-fixture: $src is missing (apt-get install linux-source-6.1)" >&2; exit 1; }
rm -rf "$dir"; mkdir -p "$dir"
tar -xJf "$src" -C "$dir" --strip-components=1
# Debian's .gitignore ends with "/*", which would ignore the whole tree.
sed -i '/^\/\*$/d' "$dir/.gitignore"
export GIT_AUTHOR_NAME='Fixture' GIT_AUTHOR_EMAIL='fixture@example.org' GIT_COMMITTER_NAME='Fixture' GIT_COMMITTER_EMAIL='fixture@example.org'
t=1640000000
commit() { t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -a -m "$1"; }
git -C "$dir" init -q -b master
git -C "$dir" add -A
t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -m "Linux 6.1 (Debian linux-source)"
git -C "$dir" tag v6.1-base
files=(mm/memory.c mm/mmap.c mm/gup.c mm/rmap.c mm/migrate.c mm/compaction.c mm/swap.c mm/page_alloc.c)
for i in $(seq 1 8); do
  f=${files[$(( (i - 1) % ${#files[@]} ))]}
  echo "/* fixture: mm change $i */" >> "$dir/$f"; commit "mm: fixture change $i"
done
grep -q 'depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT$' "$dir/mm/Kconfig"
sed -i 's/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT$/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE \&\& !PREEMPT_RT \&\& BROKEN/' "$dir/mm/Kconfig"
commit "mm: temporarily mark THP broken"
for i in $(seq 1 12); do echo "/* fixture: thp refcount step $i */" >> "$dir/mm/huge_memory.c"; commit "thp: refcount redesign, part $i"; done
sed -i 's/ \&\& !PREEMPT_RT \&\& BROKEN$/ \&\& !PREEMPT_RT/' "$dir/mm/Kconfig"
commit "mm: re-enable THP"
for i in $(seq 9 16); do
  f=${files[$(( (i - 1) % ${#files[@]} ))]}
  echo "/* fixture: mm change $i */" >> "$dir/$f"; commit "mm: fixture change $i"
done
git -C "$dir" tag fixture-ready
echo "$dir"

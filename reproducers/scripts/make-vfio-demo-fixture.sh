#!/usr/bin/env bash
# make-vfio-demo-fixture.sh — a real kernel history with an injected vfio
# pinning regression and a THP-under-BROKEN stretch, for `kbisect demo` and
# the real-kernel end-to-end test.
# Input:  /usr/src/linux-source-6.1.tar.xz (Debian's linux-source-6.1);
#         $1 or $KBISECT_DEMO_FIXTURE_DIR: where to build it
#         (default ~/.cache/kbisect/fixtures/linux-6.1-vfio-demo).
# Output: a git repository there, built once (tag demo-ready marks it done):
#   v6.1-base                          the unpacked tree as one commit (good)
#   3 commits                          small changes in mm/
#   "mm: temporarily mark THP broken"  adds && BROKEN to TRANSPARENT_HUGEPAGE
#   6 commits                          changes in mm/huge_memory.c (THP compiled out)
#   "mm: re-enable THP"                removes it again
#   2 commits                          small changes in mm/
#   "mm/memory: let fork share ..."    THE REGRESSION: copy_present_pte no
#                                      longer copies DMA-pinned anonymous pages
#                                      for the child, so the parent's next write
#                                      moves a pinned page (caught by
#                                      vfio-pin-check --mode=fork)
#   3 commits                          small changes in mm/   (tip: demo-bad)
# Prints the directory on stdout. Shaped like the 2016 series; not its code.
set -euo pipefail
dir=${1:-${KBISECT_DEMO_FIXTURE_DIR:-$HOME/.cache/kbisect/fixtures/linux-6.1-vfio-demo}}
src=/usr/src/linux-source-6.1.tar.xz
if git -C "$dir" rev-parse -q --verify refs/tags/demo-ready >/dev/null 2>&1; then echo "$dir"; exit 0; fi
[ -f "$src" ] || { echo "make-vfio-demo-fixture: $src is missing (apt-get install linux-source-6.1)" >&2; exit 1; }
rm -rf "$dir"; mkdir -p "$dir"
tar -xJf "$src" -C "$dir" --strip-components=1
# Debian's .gitignore ends with "/*", which would ignore the whole tree.
sed -i '/^\/\*$/d' "$dir/.gitignore"
export GIT_AUTHOR_NAME='Fixture' GIT_AUTHOR_EMAIL='fixture@example.org' GIT_COMMITTER_NAME='Fixture' GIT_COMMITTER_EMAIL='fixture@example.org'
t=1650000000
commit() { t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -a -m "$1"; }
git -C "$dir" init -q -b master
git -C "$dir" add -A
t=$((t + 3600)); GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git -C "$dir" commit -q -m "Linux 6.1 (Debian linux-source)"
git -C "$dir" tag v6.1-base
files=(mm/gup.c mm/rmap.c mm/migrate.c mm/compaction.c mm/mmap.c)
n=0
tweak() { n=$((n + 1)); f=${files[$(( (n - 1) % ${#files[@]} ))]}; echo "/* demo: mm change $n */" >> "$dir/$f"; commit "mm: demo change $n"; }
for _ in 1 2 3; do tweak; done
grep -q 'depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT$' "$dir/mm/Kconfig"
sed -i 's/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE && !PREEMPT_RT$/depends on HAVE_ARCH_TRANSPARENT_HUGEPAGE \&\& !PREEMPT_RT \&\& BROKEN/' "$dir/mm/Kconfig"
commit "mm: temporarily mark THP broken"
for i in $(seq 1 6); do echo "/* demo: thp refcount step $i */" >> "$dir/mm/huge_memory.c"; commit "thp: refcount redesign, part $i"; done
sed -i 's/ \&\& !PREEMPT_RT \&\& BROKEN$/ \&\& !PREEMPT_RT/' "$dir/mm/Kconfig"
commit "mm: re-enable THP"
for _ in 1 2; do tweak; done
# The regression: clearing PageAnonExclusive first makes page_try_dup_anon_rmap
# share the page with the child instead of refusing (-EBUSY) because it may be
# pinned for DMA; the parent's next write then copies it away from the pin.
line=$'\t\tif (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {'
[ "$(grep -cxF "$line" "$dir/mm/memory.c")" = 1 ] || { echo "make-vfio-demo-fixture: copy_present_pte not as expected" >&2; exit 1; }
sed -i 's/^\t\tif (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) {$/\t\tClearPageAnonExclusive(page);\n&/' "$dir/mm/memory.c"
grep -qxF $'\t\tClearPageAnonExclusive(page);' "$dir/mm/memory.c"
commit "mm/memory: let fork share anonymous pages without checking for DMA pins"
git -C "$dir" tag demo-culprit
for _ in 1 2 3; do tweak; done
git -C "$dir" tag demo-bad
git -C "$dir" tag demo-ready
echo "$dir"

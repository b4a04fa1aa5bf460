#!/bin/sh
# test-args.sh BINARY — argument handling of vfio-pin-check, without VFIO:
# usage errors exit 2 naming the problem; --help names the decisive steps; a
# bad device address, a missing device or one that does not exist is a `skip`
# result line, never a crash.
set -u
bin=$1
fails=0
expect() { # name, wanted exit, wanted output pattern, args...
  name=$1 want=$2 pattern=$3; shift 3
  out=$("$bin" "$@" 2>&1); code=$?
  if [ "$code" != "$want" ] || ! printf '%s' "$out" | grep -q -- "$pattern"; then
    echo "FAIL $name: exit $code, output: $out"; fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
expect help 0 'usage: vfio-pin-check' --help
expect help-names-steps 0 '1 mprotect_page .*reuse check' --help
expect help-huge-step 0 '2 mprotect_huge .*huge-PMD' --help
expect help-dontfork-step 0 '3 dontfork .*MADV_DONTFORK' --help
expect help-fork-exit-step 0 '4 fork_exit .*child exits at once' --help
expect unknown-option 2 "unknown argument '--frobnicate'" --frobnicate
expect bad-mode 2 "mode must be 'thp' or 'fork'" --mode=ksm
expect seconds-not-number 2 'seconds must be an integer' --seconds=ten
expect seconds-zero 2 'seconds must be an integer' --seconds=0
expect pages-not-huge-multiple 2 'multiple of 512' --pages=100
expect control-value 2 'control takes 0 or 1' --control=yes
expect device-not-pci 0 '"verdict":"skip","reason":"--device .* is not a PCI address' --device=../../etc
expect one-result-line 0 '^KBISECT-RESULT {' --device=nonsense
expect no-move-recorded 0 '"moved_after":0,"moved_index":-1}' --device=nonsense
expect chunks-counted 0 '"pages":2048,.*"chunks":4,' --device=nonsense
expect fork-pages-as-before 0 '"mode":"fork","mode_fork":1,"pages":1024,' --device=nonsense --mode=fork
expect chunks-of-pages 0 '"pages":512,.*"chunks":1,' --device=nonsense --pages=512
if [ "$(id -u)" = 0 ]; then
  expect no-device 0 '"verdict":"skip","reason":"no device to pin through' --seconds=1
  expect absent-device 0 '"reason":"no PCI device 0000:7f:1f.7 in this machine"' --device=0000:7f:1f.7 --seconds=1
  expect mode-recorded 0 '"mode":"fork","mode_fork":1' --mode=fork --device=0000:7f:1f.7
fi
[ "$fails" = 0 ] && echo "all argument tests passed" || { echo "$fails failed"; exit 1; }

#!/bin/sh
# test-args.sh BINARY — argument handling of vfio-pin-check, without VFIO:
# usage errors exit 2 naming the problem; a bad device address, a missing
# device or one that does not exist is a `skip` result line, never a crash.
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
expect unknown-option 2 "unknown argument '--frobnicate'" --frobnicate
expect bad-mode 2 "mode must be 'thp' or 'fork'" --mode=ksm
expect seconds-not-number 2 'seconds must be an integer' --seconds=ten
expect seconds-zero 2 'seconds must be an integer' --seconds=0
expect pages-not-huge-multiple 2 'multiple of 512' --pages=100
expect control-value 2 'control takes 0 or 1' --control=yes
expect device-not-pci 0 '"verdict":"skip","reason":"--device .* is not a PCI address' --device=../../etc
expect one-result-line 0 '^KBISECT-RESULT {' --device=nonsense
if [ "$(id -u)" = 0 ]; then
  expect no-device 0 '"verdict":"skip","reason":"no device to pin through' --seconds=1
  expect absent-device 0 '"reason":"no PCI device 0000:7f:1f.7 in this machine"' --device=0000:7f:1f.7 --seconds=1
  expect mode-recorded 0 '"mode":"fork","mode_fork":1' --mode=fork --device=0000:7f:1f.7
fi
[ "$fails" = 0 ] && echo "all argument tests passed" || { echo "$fails failed"; exit 1; }

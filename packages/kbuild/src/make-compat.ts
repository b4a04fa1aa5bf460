/**
 * Kbuild records every object's compile command in a `.cmd` file and
 * recompiles when the recorded command differs from the current one. Before
 * the 2020 fix ("kbuild: fix # escaping in .cmd files for future Make"),
 * Kbuild.include escaped `#` as `$(subst \#,\\\#,…)`; GNU make 4.3 no longer
 * treats `\#` inside a function call as an escape, so the `#` of
 * `-D"KBUILD_STR(s)=#s"` is written bare, make reads the rest of the line as a
 * comment, every recorded command looks changed, and every build of such a
 * kernel (v4.4 among them) recompiles the whole tree.
 *
 * The remedy leaves the tree alone: two variables on make's command line
 * (which override the makefiles' and reach every sub-make) write `#` as
 * `$(pound)`, as the fixed Kbuild.include does.
 */

/** The pre-fix definition: searches for a backslash-hash, which make ≥ 4.3 passes literally. */
const OLD_MAKE_CMD = /^make-cmd\s*=.*\$\(subst \\#,\\\\\\#,/m;

export const POUND_MAKE_ARGS: readonly string[] = [
  'pound=#',
  'make-cmd=$(call escsq,$(subst $(pound),$$(pound),$(subst $$,$$$$,$(cmd_$(1)))))',
];

/** "GNU Make 4.3" → [4, 3]. */
export function makeVersionOf(versionOutput: string): readonly [number, number] | undefined {
  const m = /GNU Make (\d+)\.(\d+)/.exec(versionOutput);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The extra make arguments this tree needs with this make; none when either is new enough or unknown. */
export function makeCompatArgs(kbuildInclude: string | null, makeVersion: readonly [number, number] | undefined): readonly string[] {
  if (kbuildInclude === null || makeVersion === undefined) return [];
  const [major, minor] = makeVersion;
  const hashIsLiteral = major > 4 || (major === 4 && minor >= 3);
  return hashIsLiteral && OLD_MAKE_CMD.test(kbuildInclude) ? POUND_MAKE_ARGS : [];
}

/*
 * vfio-pin-check — do pages pinned for DMA stay where the IOMMU was told?
 *
 * The 2016 regression (LKML, "vfio device assignment regression with THP ref
 * counting redesign"): after v4.5's THP refcount redesign, pages pinned with
 * get_user_pages through VFIO_IOMMU_MAP_DMA could be replaced in the process's
 * page tables, so the device kept DMA-ing into a frame the process no longer
 * used. This checks it without kernel debug patches: pin an anonymous buffer
 * through a real type1 container, record each page's frame from
 * /proc/self/pagemap, prove the buffer is THP-backed (each 2 MiB chunk one
 * 2 MiB-aligned contiguous run of frames), then run operations on it and
 * re-read the frames while the mapping is held.
 *
 * What decides (`--mode=thp`, the default; pin-steps.c says why each one
 * reaches the kernel path it does). Required steps, run once, first, each on
 * a 2 MiB chunk of its own, every one ending in a write fault whose reuse
 * check must not copy a pinned page:
 *   1 mprotect_page  one page RO then RW, write  (PTE reuse check;
 *                    reuse_swap_page on v4.5.0 — the bug as reported)
 *   2 mprotect_huge  whole 2 MiB RO then RW, write  (huge-PMD reuse check)
 *   3 dontfork       MADV_DONTFORK on half, fork, child exits, write
 *                    (how QEMU and RDMA mark guest memory)
 *   4 fork_exit      fork, child exits at once, parent writes
 * Measured on v4.5.0 (without 6d0a07edd17c) each moves pinned frames; v4.4.1
 * and v4.5.7 move none. Then, until --seconds run out:
 *   5 churn          khugepaged collapse, PMD splits, hole punching,
 *                    compaction (these alone do not reach the 2016 bug).
 * `--mode=fork` (opt-in, unchanged): 6 fork_mode, fork with writes from
 * parent and child. Kernels before the 5.9-era pinned-page COW-on-fork work
 * move pinned frames here by design. A control buffer without the pin gets
 * the churn / fork rounds, to show the check can see a frame move.
 *
 * Output: exactly one line `KBISECT-RESULT {json}` on stdout, verdict `bad`
 * when any pinned frame moved (the reason names the first step that moved
 * one; `moved_after` is its number, `moved_index` the page, `moved_<step>`
 * the pages each step moved), `skip` (with a reason) when setup failed or
 * the pinned buffer is not THP-backed in thp mode, `good` otherwise. Exit
 * status: 0 after a result, 2 for usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "pin-steps.h"
#include "vfio-setup.h"

struct options {
	const char *device;
	const char *mode; /* "thp" or "fork" */
	long seconds;
	long iterations; /* 0: until seconds run out */
	long pages;
	int control;
};

struct result {
	const char *verdict;
	char reason[300];
	long pages;
	long mismatches;
	long iterations;
	double seconds;
	long control_moved;
	long control_sanity;
	long thp_huge_pages;
	long chunks;
	long thp_chunks;
	enum step moved_after;
	long moved_index;
	long step_moved[STEP_COUNT];
	int step_ran[STEP_COUNT];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_result(const struct result *r, const struct options *o)
{
	printf("KBISECT-RESULT {\"verdict\":");
	json_string(r->verdict);
	if (r->reason[0]) {
		printf(",\"reason\":");
		json_string(r->reason);
	}
	printf(",\"mode\":");
	json_string(o->mode);
	printf(",\"mode_fork\":%d,\"pages\":%ld,\"mismatches\":%ld,\"iterations\":%ld,\"seconds\":%.2f,\"control_moved\":%ld,\"control_sanity\":%ld,\"thp_huge_pages\":%ld",
	       strcmp(o->mode, "fork") == 0, r->pages, r->mismatches, r->iterations, r->seconds, r->control_moved, r->control_sanity, r->thp_huge_pages);
	printf(",\"chunks\":%ld,\"thp_chunks\":%ld,\"moved_after\":%d,\"moved_index\":%ld", r->chunks, r->thp_chunks, (int)r->moved_after, r->moved_index);
	/* Only the steps that ran: a 0 means "ran and moved nothing". */
	for (int s = 1; s < STEP_COUNT; s++)
		if (r->step_ran[s])
			printf(",\"moved_%s\":%ld", step_name((enum step)s), r->step_moved[s]);
	printf("}\n");
	fflush(stdout);
}

static int skip(struct result *r, const struct options *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	r->verdict = "skip";
	print_result(r, o);
	return 0;
}

#define USAGE "usage: vfio-pin-check [--device=DDDD:BB:DD.F] [--mode=thp|fork] [--seconds=N] [--iterations=N] [--pages=N] [--control=0|1]\n"

static int usage(const char *why)
{
	fprintf(stderr, "vfio-pin-check: %s\n" USAGE, why);
	return 2;
}

static void help(void)
{
	printf(USAGE
	       "Pins an anonymous buffer through VFIO_IOMMU_MAP_DMA and checks that no pinned page\n"
	       "changes frame (/proc/self/pagemap); prints one KBISECT-RESULT {json} line.\n"
	       "--mode=thp (default): the pinned buffer must be THP-backed (else skip). Then the\n"
	       "required write-protect steps, once, first, each on its own 2 MiB chunk:\n");
	for (int s = STEP_MPROTECT_PAGE; s <= STEP_FORK_EXIT; s++)
		printf("  %d %-14s %s\n", s, step_name((enum step)s), step_what((enum step)s));
	printf("then, until --seconds (default 20) run out:\n  %d %-14s %s\n", STEP_CHURN, step_name(STEP_CHURN), step_what(STEP_CHURN));
	printf("--mode=fork (opt-in; moves pinned frames on every kernel before 5.9):\n  %d %-14s %s\n", STEP_FORK_MODE, step_name(STEP_FORK_MODE), step_what(STEP_FORK_MODE));
	printf("--iterations=1 runs the required steps only. The result names the first step that\n"
	       "moved a pinned page (moved_after: its number, moved_index: the page) and the\n"
	       "pages each step moved (moved_<step>).\n"
	       "--pages=N: multiple of 512; default 2048 in thp mode (4 chunks: one per required step), 1024 in fork mode.\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int valid_pci_address(const char *s)
{
	/* DDDD:BB:DD.F, lower-case hex */
	if (strlen(s) != 12)
		return 0;
	for (int i = 0; i < 12; i++) {
		char c = s[i];
		if (i == 4 || i == 7) {
			if (c != ':')
				return 0;
		} else if (i == 10) {
			if (c != '.')
				return 0;
		} else if (i == 11) {
			if (c < '0' || c > '7')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/* Returns 0, 2 (usage error, message printed) or 1 (--help). */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->device = NULL;
	o->mode = "thp";
	o->seconds = 20;
	o->iterations = 0;
	o->pages = 0; /* default below: it depends on the mode */
	o->control = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);
		const char *v = eq ? eq + 1 : NULL;
		char msg[160];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (klen == 8 && strncmp(a, "--device", 8) == 0 && v) {
			o->device = v;
		} else if (klen == 6 && strncmp(a, "--mode", 6) == 0 && v) {
			if (strcmp(v, "thp") && strcmp(v, "fork"))
				return usage("--mode must be 'thp' or 'fork'");
			o->mode = v;
		} else if (klen == 9 && strncmp(a, "--seconds", 9) == 0 && v) {
			if (parse_long(v, 1, 86400, &o->seconds))
				return usage("--seconds must be an integer from 1 to 86400");
		} else if (klen == 12 && strncmp(a, "--iterations", 12) == 0 && v) {
			if (parse_long(v, 1, 100000000, &o->iterations))
				return usage("--iterations must be a positive integer");
		} else if (klen == 7 && strncmp(a, "--pages", 7) == 0 && v) {
			if (parse_long(v, 512, 262144, &o->pages) || o->pages % 512)
				return usage("--pages must be a multiple of 512 (one 2 MiB huge page) from 512 to 262144");
		} else if (klen == 9 && strncmp(a, "--control", 9) == 0) {
			long c = 1;
			if (v && parse_long(v, 0, 1, &c))
				return usage("--control takes 0 or 1");
			o->control = (int)c;
		} else {
			snprintf(msg, sizeof msg, "unknown argument '%.60s'", a);
			return usage(msg);
		}
	}
	/* thp: one 2 MiB chunk per required step; fork keeps the size it always had. */
	if (!o->pages)
		o->pages = strcmp(o->mode, "fork") == 0 ? 1024 : 2048;
	return 0;
}

/*
 * Marks the pinned pages whose frame is no longer the pinned one, counts
 * the ones new since the last look against step `s`, and remembers the
 * first step and page that moved.
 */
static void track_moves(struct result *r, const uint64_t *pinned, const uint64_t *seen, unsigned char *moved, long pages, enum step s)
{
	long fresh = 0;
	for (long i = 0; i < pages; i++) {
		if (moved[i] || pinned[i] == seen[i])
			continue;
		moved[i] = 1;
		fresh++;
		if (r->moved_after == STEP_NONE) {
			r->moved_after = s;
			r->moved_index = i;
		}
	}
	r->step_ran[s] = 1;
	r->step_moved[s] += fresh;
	r->mismatches += fresh;
}

static long count_moved(const uint64_t *before, const uint64_t *after, long pages)
{
	long n = 0;
	for (long i = 0; i < pages; i++)
		n += before[i] != after[i];
	return n;
}

static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct options o;
	struct result r = { .verdict = "good", .moved_index = -1 };
	int parsed = parse_args(argc, argv, &o);
	if (parsed == 1) {
		help();
		return 0;
	}
	if (parsed)
		return 2;
	r.pages = o.pages;
	r.chunks = o.pages / HUGE_PAGES;
	if (o.device && !valid_pci_address(o.device))
		return skip(&r, &o, "--device '%.40s' is not a PCI address like 0000:00:05.0", o.device);
	int fork_mode = strcmp(o.mode, "fork") == 0;

	/* The report's settings: THP always, defrag always, khugepaged scanning hard. */
	int thp_sysfs = write_file("/sys/kernel/mm/transparent_hugepage/enabled", "always") == 0;
	write_file("/sys/kernel/mm/transparent_hugepage/defrag", "always");
	write_file("/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs", "0");
	write_file("/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan", "65536");

	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap < 0)
		return skip(&r, &o, "cannot open /proc/self/pagemap (CONFIG_PROC_PAGE_MONITOR off?): %s", strerror(errno));
	size_t size = (size_t)o.pages * PAGE;
	char *buf = alloc_huge_aligned(size);
	uint64_t *before = calloc(o.pages, 8), *after = calloc(o.pages, 8), *cbefore = calloc(o.pages, 8), *cafter = calloc(o.pages, 8);
	unsigned char *moved = calloc(o.pages, 1);
	if (!buf || !before || !after || !cbefore || !cafter || !moved)
		return skip(&r, &o, "cannot allocate %ld pages", o.pages);
	if (read_frames(pagemap, buf, o.pages, before) || before[0] == 0)
		return skip(&r, &o, "pagemap shows no frame numbers (not running as root?)");

	int container = -1;
	if (!o.device)
		return skip(&r, &o, "no device to pin through (--device=DDDD:BB:DD.F; the machine has no pciAddress)");
	char why[200];
	int group = bind_vfio(o.device, why, sizeof why);
	if (group < 0)
		return skip(&r, &o, "%s", why);
	container = open_container(group, why, sizeof why);
	if (container < 0)
		return skip(&r, &o, "%s", why);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof map,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = 0,
		.size = size,
	};
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		return skip(&r, &o, "VFIO_IOMMU_MAP_DMA of %ld pages failed: %s", o.pages, strerror(errno));
	/* The frames as pinned: what the IOMMU now points at. */
	if (read_frames(pagemap, buf, o.pages, before))
		return skip(&r, &o, "cannot read pagemap");
	r.thp_chunks = thp_backed_chunks(before, o.pages);
	/* Without huge pages under the pin the THP steps test nothing: say so rather than pass. */
	if (!fork_mode && !thp_sysfs)
		return skip(&r, &o, "this kernel has no transparent huge pages (no /sys/kernel/mm/transparent_hugepage): the pinned buffer cannot be THP-backed");
	if (!fork_mode && r.thp_chunks < r.chunks)
		return skip(&r, &o, "the pinned buffer is not THP-backed: %ld of %ld 2 MiB chunks are 2 MiB-aligned contiguous frames after the pin", r.thp_chunks, r.chunks);

	char *control = o.control ? alloc_huge_aligned(size) : NULL;
	if (control)
		read_frames(pagemap, control, o.pages, cbefore);

	double start = now();
	long round = 0;
	if (!fork_mode) {
		/* The decisive steps, in an order where no step's fork write-protects a chunk a later step measures (except its own). */
		static const enum step order[DECISIVE_STEPS] = { STEP_MPROTECT_PAGE, STEP_MPROTECT_HUGE, STEP_DONTFORK, STEP_FORK_EXIT };
		for (int k = 0; k < DECISIVE_STEPS; k++) {
			run_decisive_step(order[k], buf + (size_t)(k % r.chunks) * HUGE);
			read_frames(pagemap, buf, o.pages, after);
			track_moves(&r, before, after, moved, o.pages, order[k]);
		}
		r.iterations = round = 1;
		long kb = anon_huge_kb();
		r.thp_huge_pages = kb / 2048;
	}
	for (;; round++) {
		if (r.mismatches > 0)
			break; /* one moved frame is the bug; no need to wait out the clock */
		if (o.iterations ? round >= o.iterations : now() - start >= o.seconds)
			break;
		/* Churn rounds count from 0 as before the steps existed: compaction on the first. */
		long churn = fork_mode ? round : round - 1;
		if (fork_mode)
			stress_fork(buf, size);
		else
			stress_thp(buf, size, churn);
		r.iterations = round + 1;
		read_frames(pagemap, buf, o.pages, after);
		track_moves(&r, before, after, moved, o.pages, fork_mode ? STEP_FORK_MODE : STEP_CHURN);
		if (control) {
			if (fork_mode)
				stress_fork(control, size);
			else
				stress_thp(control, size, churn);
			read_frames(pagemap, control, o.pages, cafter);
			r.control_moved = count_moved(cbefore, cafter, o.pages);
		}
		long kb = anon_huge_kb();
		if (kb / 2048 > r.thp_huge_pages)
			r.thp_huge_pages = kb / 2048;
	}
	r.seconds = now() - start;
	if (control) {
		/* Proof the comparison sees a move at all: drop a control page and touch it again. */
		madvise(control, PAGE * 64, MADV_DONTNEED);
		for (size_t off = 0; off < PAGE * 64; off += PAGE)
			control[off] = 1;
		read_frames(pagemap, control, 64, cafter);
		r.control_sanity = count_moved(cbefore, cafter, 64);
	}
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof unmap, .iova = 0, .size = size };
	ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (r.mismatches > 0) {
		r.verdict = "bad";
		snprintf(r.reason, sizeof r.reason, "%ld of %ld pinned pages changed frame in mode %s; first page %ld, after step %d %s (%s)", r.mismatches, o.pages, o.mode,
			 r.moved_index, (int)r.moved_after, step_name(r.moved_after), step_what(r.moved_after));
	}
	print_result(&r, &o);
	return 0;
}

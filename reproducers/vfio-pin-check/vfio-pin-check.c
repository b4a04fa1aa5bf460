/*
 * vfio-pin-check — do pages pinned for DMA stay where the IOMMU was told?
 *
 * The 2016 regression (LKML, "vfio device assignment regression with THP ref
 * counting redesign"): after v4.5's THP refcount redesign, pages pinned with
 * get_user_pages through VFIO_IOMMU_MAP_DMA could be replaced in the process's
 * page tables, so the device kept DMA-ing into a frame the process no longer
 * used. This checks it without kernel debug patches: pin an anonymous buffer
 * through a real type1 container, record each page's frame from
 * /proc/self/pagemap, stress THP, and re-read the frames while the mapping is
 * held. A control buffer without the pin gets the same stress, to show the
 * check can see a frame move.
 *
 * Modes: `thp` (default) — khugepaged collapse, PMD splits (mprotect of a
 * sub-range), hole punching, compaction, writes from the pinning process.
 * `fork` — fork with writes from parent and child (copy-on-write). Kernels
 * before the 5.9-era pinned-page COW-on-fork work move pinned frames in this
 * mode by design, so it is opt-in.
 *
 * Output: exactly one line `KBISECT-RESULT {json}` on stdout, verdict `bad`
 * when any pinned frame moved, `skip` (with a reason) when setup failed,
 * `good` otherwise. Exit status: 0 after a result, 2 for usage errors.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL * 1024 * 1024)

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
	char reason[256];
	long pages;
	long mismatches;
	long iterations;
	double seconds;
	long control_moved;
	long control_sanity;
	long thp_huge_pages;
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
	printf(",\"mode_fork\":%d,\"pages\":%ld,\"mismatches\":%ld,\"iterations\":%ld,\"seconds\":%.2f,\"control_moved\":%ld,\"control_sanity\":%ld,\"thp_huge_pages\":%ld}\n",
	       strcmp(o->mode, "fork") == 0, r->pages, r->mismatches, r->iterations, r->seconds, r->control_moved, r->control_sanity, r->thp_huge_pages);
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

static int usage(const char *why)
{
	fprintf(stderr, "vfio-pin-check: %s\n"
		"usage: vfio-pin-check [--device=DDDD:BB:DD.F] [--mode=thp|fork] [--seconds=N] [--iterations=N] [--pages=N] [--control=0|1]\n", why);
	return 2;
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
	o->pages = 1024;
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
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int read_link_base(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	const char *base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	size_t n2 = strlen(base);
	if (n2 >= size)
		return -1;
	memcpy(out, base, n2 + 1);
	return 0;
}

/* modprobe NAME; busybox's modprobe ignores softdeps, so callers name each module. */
static void load_module(const char *name)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* stdout carries only the result line; modprobe's complaints go to stderr (the console). */
		dup2(2, 1);
		execlp("modprobe", "modprobe", name, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* Binds the device to vfio-pci; returns its IOMMU group number, or -1 with a reason. */
static int bind_vfio(const char *dev, char *why, size_t whysize)
{
	char path[PATH_MAX], group[64], driver[64];
	struct stat st;
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s", dev);
	if (stat(path, &st)) {
		snprintf(why, whysize, "no PCI device %s in this machine", dev);
		return -1;
	}
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/iommu_group", dev);
	if (read_link_base(path, group, sizeof group)) {
		snprintf(why, whysize, "%s has no IOMMU group (IOMMU off? intel_iommu=on missing?)", dev);
		return -1;
	}
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", dev);
	if (read_link_base(path, driver, sizeof driver) == 0 && strcmp(driver, "vfio-pci") == 0)
		return atoi(group);
	if (stat("/sys/bus/pci/drivers/vfio-pci", &st)) {
		load_module("vfio-pci");
		if (stat("/sys/bus/pci/drivers/vfio-pci", &st)) {
			snprintf(why, whysize, "the vfio-pci driver is not available (CONFIG_VFIO_PCI off, or its module missing)");
			return -1;
		}
	}
	if (read_link_base(path, driver, sizeof driver) == 0) {
		snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver/unbind", dev);
		if (write_file(path, dev)) {
			snprintf(why, whysize, "cannot unbind %s from %s: %s", dev, driver, strerror(errno));
			return -1;
		}
	}
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver_override", dev);
	if (write_file(path, "vfio-pci")) {
		snprintf(why, whysize, "cannot set driver_override of %s: %s", dev, strerror(errno));
		return -1;
	}
	if (write_file("/sys/bus/pci/drivers_probe", dev)) {
		/* Older kernels: new_id would do, but driver_override exists since 3.16. */
	}
	snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", dev);
	if (read_link_base(path, driver, sizeof driver) || strcmp(driver, "vfio-pci")) {
		snprintf(why, whysize, "%s did not bind to vfio-pci", dev);
		return -1;
	}
	return atoi(group);
}

static int open_container(int group, char *why, size_t whysize)
{
	char path[64];
	int container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0) {
		snprintf(why, whysize, "cannot open /dev/vfio/vfio: %s", strerror(errno));
		return -1;
	}
	if (ioctl(container, VFIO_GET_API_VERSION) == VFIO_API_VERSION && !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU))
		load_module("vfio_iommu_type1"); /* vfio's softdep, which busybox does not follow */
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION || !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU)) {
		snprintf(why, whysize, "the VFIO type1 IOMMU backend is not available");
		return -1;
	}
	snprintf(path, sizeof path, "/dev/vfio/%d", group);
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		snprintf(why, whysize, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct vfio_group_status status = { .argsz = sizeof status };
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) || !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, whysize, "IOMMU group %d is not viable (other devices in it are bound to host drivers)", group);
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container) || ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)) {
		snprintf(why, whysize, "cannot attach IOMMU group %d to a type1 container: %s", group, strerror(errno));
		return -1;
	}
	return container;
}

static char *alloc_huge_aligned(size_t size)
{
	char *raw = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	char *aligned = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (aligned > raw)
		munmap(raw, aligned - raw);
	size_t tail = (raw + size + HUGE) - (aligned + size);
	if (tail)
		munmap(aligned + size, tail);
	madvise(aligned, size, MADV_HUGEPAGE);
	for (size_t off = 0; off < size; off += PAGE)
		aligned[off] = (char)(off / PAGE);
	return aligned;
}

/* Frame numbers of each page; 0 where not present. Root sees real PFNs. */
static int read_frames(int pagemap, const char *buf, long pages, uint64_t *out)
{
	off_t at = (off_t)((uintptr_t)buf / PAGE) * 8;
	ssize_t want = pages * 8;
	if (pread(pagemap, out, want, at) != want)
		return -1;
	for (long i = 0; i < pages; i++)
		out[i] = (out[i] >> 63) & 1 ? out[i] & ((1ULL << 55) - 1) : 0;
	return 0;
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

/* One round of THP stress on a buffer: writes, PMD splits, collapse hints, churn. */
static void stress_thp(char *buf, size_t size, long round)
{
	for (size_t off = 0; off < size; off += PAGE)
		buf[off]++;
	/* mprotect of one page inside a huge mapping splits the PMD; the write after it faults. */
	size_t at = ((size_t)round * PAGE * 7) % size;
	mprotect(buf + at, PAGE, PROT_READ);
	mprotect(buf + at, PAGE, PROT_READ | PROT_WRITE);
	buf[at]++;
	madvise(buf, size, MADV_HUGEPAGE);
	/* A scratch huge region with punched holes: splits and khugepaged work elsewhere. */
	char *scratch = alloc_huge_aligned(4 * HUGE);
	if (scratch) {
		for (size_t h = 0; h < 4 * HUGE; h += HUGE)
			madvise(scratch + h + PAGE * (1 + round % 500), PAGE, MADV_DONTNEED);
		munmap(scratch, 4 * HUGE);
	}
	if (round % 8 == 0)
		write_file("/proc/sys/vm/compact_memory", "1");
}

/* One round of fork stress: the child writes every page, then the parent does. */
static void stress_fork(char *buf, size_t size)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t off = 0; off < size; off += PAGE)
			buf[off] ^= 1;
		_exit(0);
	}
	for (size_t off = 0; off < size; off += PAGE)
		buf[off] ^= 2;
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	struct options o;
	struct result r = { .verdict = "good" };
	int parsed = parse_args(argc, argv, &o);
	if (parsed == 1) {
		usage("checks that DMA-pinned pages keep their frames under THP stress");
		return 0;
	}
	if (parsed)
		return 2;
	r.pages = o.pages;
	if (o.device && !valid_pci_address(o.device))
		return skip(&r, &o, "--device '%.40s' is not a PCI address like 0000:00:05.0", o.device);

	/* The report's settings: THP always, defrag always, khugepaged scanning hard. */
	write_file("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	write_file("/sys/kernel/mm/transparent_hugepage/defrag", "always");
	write_file("/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs", "0");
	write_file("/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan", "65536");

	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap < 0)
		return skip(&r, &o, "cannot open /proc/self/pagemap (CONFIG_PROC_PAGE_MONITOR off?): %s", strerror(errno));
	size_t size = (size_t)o.pages * PAGE;
	char *buf = alloc_huge_aligned(size);
	uint64_t *before = calloc(o.pages, 8), *after = calloc(o.pages, 8), *cbefore = calloc(o.pages, 8), *cafter = calloc(o.pages, 8);
	if (!buf || !before || !after || !cbefore || !cafter)
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

	char *control = o.control ? alloc_huge_aligned(size) : NULL;
	if (control)
		read_frames(pagemap, control, o.pages, cbefore);

	double start = now();
	int fork_mode = strcmp(o.mode, "fork") == 0;
	for (long round = 0;; round++) {
		if (o.iterations ? round >= o.iterations : now() - start >= o.seconds)
			break;
		if (fork_mode)
			stress_fork(buf, size);
		else
			stress_thp(buf, size, round);
		r.iterations = round + 1;
		read_frames(pagemap, buf, o.pages, after);
		long moved = count_moved(before, after, o.pages);
		if (moved > r.mismatches)
			r.mismatches = moved;
		if (control) {
			if (fork_mode)
				stress_fork(control, size);
			else
				stress_thp(control, size, round);
			read_frames(pagemap, control, o.pages, cafter);
			r.control_moved = count_moved(cbefore, cafter, o.pages);
		}
		long kb = anon_huge_kb();
		if (kb / 2048 > r.thp_huge_pages)
			r.thp_huge_pages = kb / 2048;
		if (r.mismatches > 0)
			break; /* one moved frame is the bug; no need to wait out the clock */
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
		snprintf(r.reason, sizeof r.reason, "%ld of %ld pinned pages changed frame in mode %s", r.mismatches, o.pages, o.mode);
	}
	print_result(&r, &o);
	return 0;
}

/*
 * pin-steps.c — what vfio-pin-check does to a pinned buffer.
 *
 * The deterministic steps each reach a write fault on a page the process
 * can no longer write without asking the kernel whether it may reuse it or
 * must copy it. A kernel that copies a page a device has pinned gives the
 * process a new frame while the IOMMU still points at the old one: the
 * 2016 regression. On v4.5.0 the reuse checks copied pinned THP-backed
 * pages (the split kept the compound page, and reuse_swap_page /
 * do_huge_pmd_wp_page counted mappings of the compound page); 6d0a07edd17c
 * (page_trans_huge_mapcount, in v4.5.7 and v4.6) fixed them.
 */
#define _GNU_SOURCE
#include "pin-steps.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *what;
} STEPS[STEP_COUNT] = {
	[STEP_NONE] = { "none", "nothing moved" },
	[STEP_MPROTECT_PAGE] = { "mprotect_page", "mprotect of one page RO then RW and a write: the PTE write fault's reuse check" },
	[STEP_MPROTECT_HUGE] = { "mprotect_huge", "mprotect of a whole 2 MiB huge page RO then RW and a write: the huge-PMD write fault's reuse check" },
	[STEP_DONTFORK] = { "dontfork", "MADV_DONTFORK on half a huge page, fork, the child exits, the parent writes: the reuse check on the forked half" },
	[STEP_FORK_EXIT] = { "fork_exit", "fork, the child exits at once, the parent writes: the reuse check once the child is gone" },
	[STEP_CHURN] = { "churn", "THP churn: khugepaged collapse, PMD splits, hole punching, compaction" },
	[STEP_FORK_MODE] = { "fork_mode", "--mode=fork: parent and child both write after fork" },
};

const char *step_name(enum step s)
{
	return STEPS[s].name;
}

const char *step_what(enum step s)
{
	return STEPS[s].what;
}

int write_file(const char *path, const char *text)
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

int read_frames(int pagemap, const char *buf, long pages, uint64_t *out)
{
	off_t at = (off_t)((uintptr_t)buf / PAGE) * 8;
	ssize_t want = pages * 8;
	if (pread(pagemap, out, want, at) != want)
		return -1;
	for (long i = 0; i < pages; i++)
		out[i] = (out[i] >> 63) & 1 ? out[i] & ((1ULL << 55) - 1) : 0;
	return 0;
}

long thp_backed_chunks(const uint64_t *frames, long pages)
{
	long n = 0;
	for (long c = 0; c + (long)HUGE_PAGES <= pages; c += HUGE_PAGES) {
		const uint64_t *f = frames + c;
		int ok = f[0] != 0 && f[0] % HUGE_PAGES == 0;
		for (long i = 1; ok && i < (long)HUGE_PAGES; i++)
			ok = f[i] == f[0] + (uint64_t)i;
		n += ok;
	}
	return n;
}

char *alloc_huge_aligned(size_t size)
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

static void write_pages(char *p, size_t size)
{
	for (size_t off = 0; off < size; off += PAGE)
		p[off]++;
}

/* fork; the child exits at once without touching memory; the parent waits for it. */
static void fork_and_reap(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void run_decisive_step(enum step s, char *chunk)
{
	switch (s) {
	case STEP_MPROTECT_PAGE:
		/* A sub-range of the huge mapping: the PMD is split, the PTE left write-protected. */
		mprotect(chunk + 17 * PAGE, PAGE, PROT_READ);
		mprotect(chunk + 17 * PAGE, PAGE, PROT_READ | PROT_WRITE);
		chunk[17 * PAGE]++;
		break;
	case STEP_MPROTECT_HUGE:
		/* The whole aligned 2 MiB: the huge PMD stays, write-protected. */
		mprotect(chunk, HUGE, PROT_READ);
		mprotect(chunk, HUGE, PROT_READ | PROT_WRITE);
		write_pages(chunk, HUGE);
		break;
	case STEP_DONTFORK:
		/* How QEMU and RDMA mark guest memory; the other half is shared with the child. */
		madvise(chunk, HUGE / 2, MADV_DONTFORK);
		fork_and_reap();
		write_pages(chunk, HUGE);
		madvise(chunk, HUGE / 2, MADV_DOFORK);
		break;
	case STEP_FORK_EXIT:
		/* Unlike --mode=fork, the child never writes: only the parent's reuse check is tested. */
		fork_and_reap();
		write_pages(chunk, HUGE);
		break;
	default:
		break;
	}
}

void stress_thp(char *buf, size_t size, long round)
{
	write_pages(buf, size);
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

void stress_fork(char *buf, size_t size)
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

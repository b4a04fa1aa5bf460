/*
 * pin-steps.h — the operations vfio-pin-check runs on a pinned buffer, and
 * how it reads where the buffer's pages are (/proc/self/pagemap).
 */
#ifndef PIN_STEPS_H
#define PIN_STEPS_H

#include <stddef.h>
#include <stdint.h>

#define PAGE 4096UL
#define HUGE (2UL * 1024 * 1024)
#define HUGE_PAGES (HUGE / PAGE)

/*
 * Step numbers, as reported in `moved_after` (the result line carries
 * numbers only). 1-4 are the deterministic write-protect steps, run once,
 * first, each on a 2 MiB chunk of its own; 5 is the churn that follows
 * until --seconds run out; 6 is a round of --mode=fork.
 */
enum step {
	STEP_NONE = 0,
	STEP_MPROTECT_PAGE = 1,
	STEP_MPROTECT_HUGE = 2,
	STEP_DONTFORK = 3,
	STEP_FORK_EXIT = 4,
	STEP_CHURN = 5,
	STEP_FORK_MODE = 6,
};
#define DECISIVE_STEPS 4
#define STEP_COUNT 7

/* Short name (a metric key suffix) and what the step does to which kernel path. */
const char *step_name(enum step s);
const char *step_what(enum step s);

/* Frame numbers of each page; 0 where not present. Root sees real PFNs. */
int read_frames(int pagemap, const char *buf, long pages, uint64_t *out);

/* 2 MiB chunks of the buffer whose frames are one 2 MiB-aligned contiguous run: THP-backed. */
long thp_backed_chunks(const uint64_t *frames, long pages);

/* An anonymous private buffer aligned to 2 MiB, MADV_HUGEPAGE, every page written. */
char *alloc_huge_aligned(size_t size);

/* Runs one deterministic step on the chunk at `chunk` (2 MiB, inside a pinned buffer). */
void run_decisive_step(enum step s, char *chunk);

/* One round of THP churn on a buffer: writes, PMD splits, collapse hints, hole punching, compaction. */
void stress_thp(char *buf, size_t size, long round);

/* One round of --mode=fork: the child writes every page, then the parent does. */
void stress_fork(char *buf, size_t size);

int write_file(const char *path, const char *text);

#endif

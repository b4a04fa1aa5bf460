/*
 * vfio-setup.c — the device and container vfio-pin-check pins through: the
 * machine's PCI device bound to vfio-pci, its IOMMU group in a type1
 * container. Each failure is a reason for a `skip`, never a crash.
 */
#define _GNU_SOURCE
#include "vfio-setup.h"
#include "pin-steps.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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
int bind_vfio(const char *dev, char *why, size_t whysize)
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

int open_container(int group, char *why, size_t whysize)
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

/* vfio-setup.h — binding the device to vfio-pci and opening a type1 container. */
#ifndef VFIO_SETUP_H
#define VFIO_SETUP_H

#include <stddef.h>

/* Binds the device to vfio-pci; returns its IOMMU group number, or -1 with a reason in `why`. */
int bind_vfio(const char *dev, char *why, size_t whysize);

/* A type1 container holding the group; -1 with a reason in `why`. */
int open_container(int group, char *why, size_t whysize);

#endif

/* FIFOs (named pipes): creation with an exact mode, and opening that never
 * blocks. Plain C: 0 / an fd, or -errno. */
#ifndef IPK_FIFO_H
#define IPK_FIFO_H

#include "../common/platform.h"

#include <sys/types.h>

/* Returned by ipk_fifo_open when the path is not a FIFO. */
#define IPK_ENOTFIFO (-100003)

/* mkfifo with exactly `mode` (permission bits), whatever the umask. */
int ipk_fifo_create(const char* path, int mode);

/* Opens for reading or writing with O_NONBLOCK|O_NOFOLLOW|O_CLOEXEC, so
 * that it never waits: a reader opens at once; a writer gets -ENXIO while
 * no reader has it open (the caller retries on the event loop). Refuses a
 * symlink (-ELOOP) and anything but a FIFO (IPK_ENOTFIFO), checked on the
 * opened fd (fstat), not the path. On success the description is made
 * blocking again (ipckit's I/O is non-blocking per call) and the owner's
 * uid is stored in *owner. */
int ipk_fifo_open(const char* path, int for_write, long* owner);

#endif

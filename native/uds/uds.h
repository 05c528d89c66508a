/* Unix domain sockets: creation, addresses, connection set-up, fd passing
 * and peer credentials. Plain C: every function returns 0 / a value, or
 * -errno. */
#ifndef IPK_UDS_H
#define IPK_UDS_H

#include "../common/platform.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* Largest number of fds one message may carry (the kernel's SCM_MAX_FD). */
#define IPK_MAX_FDS 253

/* Returned by ipk_uds_recvmsg when the kernel truncated the control data
 * (MSG_CTRUNC): some fds were lost. Every fd that did arrive is closed. */
#define IPK_ECTRUNC (-100001)
/* Returned when a datagram/seqpacket send wrote fewer bytes than asked. */
#define IPK_EPARTIAL (-100002)

enum ipk_uds_type { IPK_UDS_STREAM = 1, IPK_UDS_DGRAM = 2, IPK_UDS_SEQPACKET = 3 };

/* Builds a sockaddr_un. `name` is a path (abstract = 0) or an abstract name
 * (abstract = 1, without the leading NUL). -ENAMETOOLONG if it does not fit
 * sun_path (never truncated), -EINVAL for an empty name or a NUL in a path. */
int ipk_uds_addr(struct sockaddr_un* out, socklen_t* len, const char* name, size_t name_len, int abstract);

/* A new AF_UNIX socket, close-on-exec; non-blocking if `nonblock`. */
int ipk_uds_socket(int type, int nonblock);
int ipk_uds_socketpair(int type, int fds[2]);
/* Binds. With `mode` >= 0 (paths): the socket file gets exactly that mode,
 * never wider at any instant, whatever the umask (Linux; elsewhere the umask
 * may narrow it). */
int ipk_uds_bind(int fd, const struct sockaddr_un* addr, socklen_t len, int mode);
int ipk_uds_listen(int fd, int backlog);
/* Accepts one connection, close-on-exec, blocking description. -EAGAIN when none is pending. */
int ipk_uds_accept(int fd);
/* Connects (the socket is made non-blocking for the call and restored). 0,
 * -EAGAIN (the listener's backlog is full: retry later), or -errno. */
int ipk_uds_connect(int fd, const struct sockaddr_un* addr, socklen_t len);
int ipk_uds_shutdown(int fd, int how);
int ipk_uds_type(int fd);
/* Opens the directory `path` (not following a symlink) and takes an
 * exclusive flock on it without waiting: the fd (close it to unlock),
 * -EAGAIN when another holds it, or -errno. */
int ipk_uds_lock_dir(const char* path);

/* Peer credentials of a connected socket (SO_PEERCRED / LOCAL_PEERCRED). */
int ipk_uds_peercred(int fd, int64_t* pid, int64_t* uid, int64_t* gid);

/* sendmsg with optional fds and destination; MSG_NOSIGNAL|MSG_DONTWAIT. */
ssize_t ipk_uds_sendmsg(int fd, const struct iovec* iov, int iovcnt, const int* fds, int nfds,
                        const struct sockaddr_un* to, socklen_t to_len);

/* The size of the next datagram/seqpacket message (MSG_PEEK|MSG_TRUNC), or -errno. */
ssize_t ipk_uds_next_size(int fd);

/* recvmsg into buf, collecting up to max_fds fds into fds[] (count in
 * *nfds), close-on-exec; the sender's address into from/from_len when
 * given. -EAGAIN when nothing is there; IPK_ECTRUNC as above. `flags` adds
 * to MSG_DONTWAIT|MSG_CMSG_CLOEXEC (0 or MSG_WAITALL...). */
ssize_t ipk_uds_recvmsg(int fd, void* buf, size_t len, int* fds, int max_fds, int* nfds,
                        struct sockaddr_un* from, socklen_t* from_len, int blocking);

#endif

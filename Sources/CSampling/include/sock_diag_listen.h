#ifndef SURGE_SOCK_DIAG_LISTEN_H
#define SURGE_SOCK_DIAG_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/// The host's listening TCP sockets (IPv4 and IPv6) as the kernel's sock_diag netlink reports
/// them, which is what `ss -lnt` shows as Recv-Q and Send-Q.
struct surge_listen_queues {
    /// Listening sockets seen.
    uint64_t listeners;
    /// Connections completed by the kernel and waiting for accept(), summed over the sockets.
    uint64_t queued;
    /// The fullest accept queue: waiting connections over that socket's backlog limit (0 when
    /// there is no listener).
    double fullest;
};

/// Opens the NETLINK_SOCK_DIAG socket that `surge_listen_queues_read` asks on (kept open from
/// tick to tick: opening one costs about as much as a dump). Returns it, or a negative errno.
int surge_listen_queues_open(void);

/// Dumps the listening TCP sockets of the caller's network namespace over `fd`, counting those
/// on one of `ports` (local port, host order; none given: every listener). The kernel
/// walks only its listening hash for this request (once for both families where it serves
/// the TCPDIAG_GETSOCK request, else once per family), so the cost does not grow with established
/// connections (reading /proc/net/tcp walks every bucket of the established hash). Returns 0, or
/// a negative errno.
int surge_listen_queues_read(int fd, const uint16_t *ports, size_t port_count, struct surge_listen_queues *out);

/// How `surge_listen_queues_read_by` asks the kernel: ANY tries one dump for both families
/// and, if the kernel refuses that request, falls back to one dump per family; it then sets
/// `*how` to the way that worked, for the reader's next reads. Tests pin either way.
enum surge_listen_dump {
    SURGE_LISTEN_DUMP_ANY = 0,
    SURGE_LISTEN_DUMP_BOTH_FAMILIES = 1,
    SURGE_LISTEN_DUMP_EACH_FAMILY = 2,
};

int surge_listen_queues_read_by(int fd, enum surge_listen_dump *how, const uint16_t *ports, size_t port_count,
                                struct surge_listen_queues *out);

/// Sets the netlink message type of the one-dump request (0: TCPDIAG_GETSOCK, the real one).
/// Tests set a type the kernel does not know, to see the fallback on a kernel that refuses it.
void surge_listen_set_one_dump_type(int type);

/// Adds the sockets of one netlink receive buffer on one of `ports` (all when none) to `totals`. Returns 1 when the buffer ends
/// the dump (NLMSG_DONE), 0 when more is to come, or a negative errno (the kernel's, from an
/// NLMSG_ERROR, or -EBADMSG for a malformed message). Split out so that tests can feed it bytes.
int surge_parse_listen_dump(const void *buffer, size_t length, const uint16_t *ports, size_t port_count,
                            struct surge_listen_queues *totals);

#endif

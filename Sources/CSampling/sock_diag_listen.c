#include "sock_diag_listen.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* TCP_LISTEN in the kernel's tcp_states.h, which is not exported to user space. */
enum { SURGE_TCP_LISTEN = 10 };

static _Atomic int one_dump_type = TCPDIAG_GETSOCK;

void surge_listen_set_one_dump_type(int type) {
    one_dump_type = type != 0 ? type : TCPDIAG_GETSOCK;
}

static int port_wanted(uint16_t port, const uint16_t *ports, size_t port_count) {
    if (port_count == 0) return 1;
    for (size_t i = 0; i < port_count; i++) {
        if (ports[i] == port) return 1;
    }
    return 0;
}

int surge_parse_listen_dump(const void *buffer, size_t length, const uint16_t *ports, size_t port_count,
                            struct surge_listen_queues *totals) {
    const struct nlmsghdr *header = buffer;
    int remaining = (int)length;
    for (; NLMSG_OK(header, remaining); header = NLMSG_NEXT(header, remaining)) {
        if (header->nlmsg_type == NLMSG_DONE) return 1;
        if (header->nlmsg_type == NLMSG_ERROR) {
            if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EBADMSG;
            const struct nlmsgerr *error = NLMSG_DATA(header);
            return error->error < 0 ? error->error : -EPROTO;
        }
        /* Replies carry the request's type: SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK for the one-dump request. */
        if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY && header->nlmsg_type != TCPDIAG_GETSOCK) continue;
        if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EBADMSG;
        const struct inet_diag_msg *socket_info = NLMSG_DATA(header);
        if (socket_info->idiag_state != SURGE_TCP_LISTEN) continue;
        if (!port_wanted(ntohs(socket_info->id.idiag_sport), ports, port_count)) continue;
        totals->listeners += 1;
        /* For a listening socket the kernel reports the accept queue's length as rqueue and
           its limit (the backlog given to listen(), capped by somaxconn) as wqueue. */
        totals->queued += socket_info->idiag_rqueue;
        if (socket_info->idiag_wqueue > 0) {
            double fill = (double)socket_info->idiag_rqueue / (double)socket_info->idiag_wqueue;
            if (fill > totals->fullest) totals->fullest = fill;
        }
    }
    return remaining == 0 ? 0 : -EBADMSG;
}

/* Reads one dump's replies to its end, adding the sockets to `totals`. */
static int receive_dump(int fd, const uint16_t *ports, size_t port_count, struct surge_listen_queues *totals) {
    /* Aligned for the nlmsghdr casts; 32 KiB holds a few hundred sockets per read. */
    static _Thread_local long buffer[32768 / sizeof(long)];
    for (;;) {
        ssize_t received = recv(fd, buffer, sizeof buffer, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (received == 0) return -EPROTO;
        int status = surge_parse_listen_dump(buffer, (size_t)received, ports, port_count, totals);
        if (status != 0) return status < 0 ? status : 0;
    }
}

/* Sends a dump request of `length` bytes (its header first) and adds up the replies. */
static int dump(int fd, void *message, size_t length, unsigned short type, unsigned int sequence,
                const uint16_t *ports, size_t port_count, struct surge_listen_queues *totals) {
    struct nlmsghdr *header = message;
    header->nlmsg_len = (uint32_t)length;
    header->nlmsg_type = type;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    header->nlmsg_seq = sequence;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, message, length, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
    return receive_dump(fd, ports, port_count, totals);
}

/* One family's listeners: the request sock_diag documents (inet_diag_req_v2). */
static int dump_family(int fd, unsigned char family, unsigned int sequence, const uint16_t *ports, size_t port_count,
                       struct surge_listen_queues *totals) {
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } message;
    memset(&message, 0, sizeof message);
    message.request.sdiag_family = family;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = 1u << SURGE_TCP_LISTEN;
    return dump(fd, &message, sizeof message, SOCK_DIAG_BY_FAMILY, sequence, ports, port_count, totals);
}

/* Both families' listeners in one dump: the older TCPDIAG_GETSOCK request, which the kernel
   still serves (inet_diag's compat path) with the family left open. Each dump walks the whole
   listening hash (16,384 buckets here, whatever the number of listeners), so one walk instead
   of two halves the kernel's work. */
static int dump_both_families(int fd, unsigned int sequence, const uint16_t *ports, size_t port_count,
                              struct surge_listen_queues *totals) {
    struct {
        struct nlmsghdr header;
        struct inet_diag_req request;
    } message;
    memset(&message, 0, sizeof message);
    message.request.idiag_family = AF_INET;
    message.request.idiag_states = 1u << SURGE_TCP_LISTEN;
    return dump(fd, &message, sizeof message, (unsigned short)one_dump_type, sequence, ports, port_count, totals);
}

static int dump_each_family(int fd, const uint16_t *ports, size_t port_count, struct surge_listen_queues *totals) {
    int status = dump_family(fd, AF_INET, 1, ports, port_count, totals);
    if (status == 0) {
        status = dump_family(fd, AF_INET6, 2, ports, port_count, totals);
        /* A kernel without IPv6 has no such sockets to report. */
        if (status == -ENOENT || status == -EAFNOSUPPORT) status = 0;
    }
    return status;
}

int surge_listen_queues_open(void) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -errno;
    /* The kernel answers at once; the timeout only guards the tick against the unexpected. */
    struct timeval timeout = { .tv_sec = 1, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

int surge_listen_queues_read_by(int fd, enum surge_listen_dump *how, const uint16_t *ports, size_t port_count,
                                struct surge_listen_queues *out) {
    memset(out, 0, sizeof *out);
    if (*how == SURGE_LISTEN_DUMP_EACH_FAMILY) return dump_each_family(fd, ports, port_count, out);
    int status = dump_both_families(fd, 3, ports, port_count, out);
    /* A kernel without the compat request refuses it before counting any socket; from then on
       this reader asks family by family. */
    if (*how == SURGE_LISTEN_DUMP_ANY && (status == -EINVAL || status == -ENOENT || status == -EOPNOTSUPP)) {
        *how = SURGE_LISTEN_DUMP_EACH_FAMILY;
        memset(out, 0, sizeof *out);
        return dump_each_family(fd, ports, port_count, out);
    }
    if (*how == SURGE_LISTEN_DUMP_ANY && status == 0) *how = SURGE_LISTEN_DUMP_BOTH_FAMILIES;
    return status;
}

int surge_listen_queues_read(int fd, const uint16_t *ports, size_t port_count, struct surge_listen_queues *out) {
    enum surge_listen_dump how = SURGE_LISTEN_DUMP_ANY;
    return surge_listen_queues_read_by(fd, &how, ports, port_count, out);
}

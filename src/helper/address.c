/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "address up|down": a jail's [Network] addresses, spoken directly over rtnetlink (a few
 * messages only), with a record under the runtime directory so "down" removes only what
 * "up" added. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "helper.h"
#include "log.h"

const char *runtime_dir(void) {
        const char *e = getenv("VIRTUALING_RUNTIME_DIR");

        return e && path_is_absolute(e) ? e : "/run/virtualing";
}

static size_t family_size(int family) {
        return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static const char *family_to_string(int family) {
        return family == AF_INET ? "inet" : "inet6";
}

static const char *address_to_string(const JailAddress *a, char buf[static INET6_ADDRSTRLEN]) {
        return inet_ntop(a->family, &a->address, buf, INET6_ADDRSTRLEN) ?: "(invalid)";
}

/* ---- rtnetlink ---- */

typedef union NlRequest {
        struct nlmsghdr hdr;
        char buf[256]; /* a header, one ifaddrmsg/ifinfomsg and three attributes at most */
} NlRequest;

typedef int (*nl_handler_t)(const struct nlmsghdr *h, void *userdata);

static int nl_open(void) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

        return fd < 0 ? negative_errno() : fd;
}

static void *nl_request_init(NlRequest *m, uint16_t type, uint16_t flags, size_t payload) {
        memset(m, 0, sizeof(*m));
        m->hdr.nlmsg_len = NLMSG_LENGTH(payload);
        m->hdr.nlmsg_type = type;
        /* Always ask for an ACK: every request then ends with an error or a confirmation */
        m->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        return NLMSG_DATA(&m->hdr);
}

static int nl_append(NlRequest *m, uint16_t type, const void *data, size_t len) {
        size_t off = NLMSG_ALIGN(m->hdr.nlmsg_len);
        struct rtattr *rta;

        if (off + RTA_SPACE(len) > sizeof(m->buf))
                return -ENOBUFS;
        rta = (struct rtattr *) (m->buf + off);
        rta->rta_type = type;
        rta->rta_len = RTA_LENGTH(len);
        memcpy(RTA_DATA(rta), data, len);
        m->hdr.nlmsg_len = off + RTA_ALIGN(rta->rta_len);
        return 0;
}

/* Sends one request and reads until its ACK, error or end of dump; data messages go to
 * handler. Returns 0, the kernel's negative errno, or -EAGAIN if a dump was interrupted. */
static int nl_call(int fd, NlRequest *m, nl_handler_t handler, void *userdata) {
        static uint32_t seq;
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        bool interrupted = false;
        int r;

        m->hdr.nlmsg_seq = ++seq;
        if (sendto(fd, m, m->hdr.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return negative_errno();

        for (;;) {
                union {
                        struct nlmsghdr hdr;
                        char buf[32768]; /* the kernel's largest dump chunk */
                } rb;
                struct sockaddr_nl from = {};
                struct iovec iov = { .iov_base = rb.buf, .iov_len = sizeof(rb.buf) };
                struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                n = recvmsg(fd, &mh, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (mh.msg_flags & MSG_TRUNC)
                        return -EMSGSIZE;
                if (from.nl_pid != 0) /* only the kernel speaks to us */
                        continue;

                for (struct nlmsghdr *h = &rb.hdr; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != m->hdr.nlmsg_seq) /* leftovers of an earlier request */
                                continue;
                        if (h->nlmsg_flags & NLM_F_DUMP_INTR)
                                interrupted = true;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);

                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                        return -EBADMSG;
                                return e->error; /* 0 is the ACK */
                        }
                        if (h->nlmsg_type == NLMSG_DONE)
                                return interrupted ? -EAGAIN : 0;
                        if (handler) {
                                r = handler(h, userdata);
                                if (r < 0)
                                        return r;
                        }
                }
        }
}

typedef struct LinkInfo {
        int ifindex;
        char name[IF_NAMESIZE];
        unsigned short type; /* ARPHRD_* */
        unsigned flags;      /* IFF_* */
        uint8_t hwaddr[32];
        size_t hwaddr_len;
} LinkInfo;

static int link_parse(const struct nlmsghdr *h, void *userdata) {
        LinkInfo *l = userdata;
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        int len = IFLA_PAYLOAD(h);

        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
                return -EBADMSG;

        l->ifindex = ifi->ifi_index;
        l->type = ifi->ifi_type;
        l->flags = ifi->ifi_flags;
        for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                size_t sz = RTA_PAYLOAD(a);

                if (a->rta_type == IFLA_IFNAME && sz > 0 && sz <= sizeof(l->name)) {
                        memcpy(l->name, RTA_DATA(a), sz);
                        l->name[sz - 1] = 0;
                } else if (a->rta_type == IFLA_ADDRESS && sz <= sizeof(l->hwaddr)) {
                        memcpy(l->hwaddr, RTA_DATA(a), sz);
                        l->hwaddr_len = sz;
                }
        }
        return 0;
}

/* By index, or by name when ifindex is 0 (the kernel also resolves alternative names). -ENODEV if none. */
static int link_get(int fd, int ifindex, const char *name, LinkInfo *ret) {
        NlRequest m;
        struct ifinfomsg *ifi = nl_request_init(&m, RTM_GETLINK, 0, sizeof(*ifi));
        int r;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (name) {
                r = nl_append(&m, IFLA_IFNAME, name, strlen(name) + 1);
                if (r < 0)
                        return r;
        }
        *ret = (LinkInfo) {};
        r = nl_call(fd, &m, link_parse, ret);
        if (r < 0)
                return r;
        return ret->ifindex > 0 ? 0 : -ENODEV;
}

/* RTM_NEWADDR or RTM_DELADDR of exactly this address and prefix on ifindex. */
static int address_change(int fd, uint16_t type, uint16_t flags, int ifindex, const JailAddress *a) {
        NlRequest m;
        struct ifaddrmsg *ifa = nl_request_init(&m, type, flags, sizeof(*ifa));
        size_t size = family_size(a->family);
        int r;

        ifa->ifa_family = a->family;
        ifa->ifa_prefixlen = a->prefixlen;
        ifa->ifa_index = ifindex;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;

        if (a->family == AF_INET6) {
                /* No duplicate address detection, so the address is usable (and bindable
                 * for the announcement) at once, as VIP managers do */
                if (type == RTM_NEWADDR)
                        ifa->ifa_flags = IFA_F_NODAD;
                return nl_append(&m, IFA_ADDRESS, &a->address.in6, size) ?: nl_call(fd, &m, NULL, NULL);
        }

        r = nl_append(&m, IFA_LOCAL, &a->address.in, size);
        if (r < 0)
                return r;
        /* With IFA_ADDRESS the kernel also matches the prefix length on deletion */
        r = nl_append(&m, IFA_ADDRESS, &a->address.in, size);
        if (r < 0)
                return r;
        if (type == RTM_NEWADDR && a->prefixlen < 31) { /* /31 and /32 have no broadcast */
                struct in_addr brd = { .s_addr = a->address.in.s_addr | htonl(UINT32_MAX >> a->prefixlen) };

                r = nl_append(&m, IFA_BROADCAST, &brd, size);
                if (r < 0)
                        return r;
        }
        return nl_call(fd, &m, NULL, NULL);
}

typedef struct BusyCheck {
        const Jail *jail;
        const JailAddress *found;
        int found_ifindex;
} BusyCheck;

static int busy_check(const struct nlmsghdr *h, void *userdata) {
        BusyCheck *b = userdata;
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        const void *local = NULL, *address = NULL, *p;
        int len = IFA_PAYLOAD(h);

        if (h->nlmsg_type != RTM_NEWADDR || b->found)
                return 0;
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
                return -EBADMSG;
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return 0;

        for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (RTA_PAYLOAD(a) != family_size(ifa->ifa_family))
                        continue;
                if (a->rta_type == IFA_LOCAL)
                        local = RTA_DATA(a);
                else if (a->rta_type == IFA_ADDRESS)
                        address = RTA_DATA(a);
        }
        /* On point-to-point links IFA_ADDRESS is the peer; the local address is what counts */
        p = local ?: address;
        if (!p)
                return 0;

        for (size_t i = 0; i < b->jail->n_addresses; i++) {
                const JailAddress *a = &b->jail->addresses[i];

                if (a->family == ifa->ifa_family && memcmp(&a->address, p, family_size(a->family)) == 0) {
                        b->found = a;
                        b->found_ifindex = (int) ifa->ifa_index;
                        break;
                }
        }
        return 0;
}

/* Fails with HELPER_EXIT_ADDRESS_BUSY, having said so, if an address of the jail is anywhere on the host. */
static int check_not_busy(int fd, const Jail *j) {
        BusyCheck b = { .jail = j };
        char buf[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE + 16]; /* room for "ifindex N" */
        int r = -EAGAIN;

        /* The kernel marks a dump that raced with a change; look again rather than miss an address */
        for (unsigned attempt = 0; r == -EAGAIN && attempt < 5; attempt++) {
                NlRequest m;
                struct ifaddrmsg *ifa = nl_request_init(&m, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));

                ifa->ifa_family = AF_UNSPEC;
                b.found = NULL;
                r = nl_call(fd, &m, busy_check, &b);
        }
        if (r < 0)
                return helper_fail(HELPER_EXIT_ADDRESS, "listing addresses on", "the host", r);
        if (!b.found)
                return 0;

        if (!if_indextoname(b.found_ifindex, ifname))
                (void) snprintf(ifname, sizeof(ifname), "ifindex %i", b.found_ifindex);
        log_error("address %s already on %s", address_to_string(b.found, buf), ifname);
        return HELPER_EXIT_ADDRESS_BUSY;
}

/* ---- the record ---- */

static char *record_path(const Jail *j) {
        char *p;

        return asprintf(&p, "%s/addresses/%s", runtime_dir(), j->name) < 0 ? NULL : p;
}

static int mkdir_exist_ok(const char *path) {
        return mkdir(path, 0755) < 0 && errno != EEXIST ? negative_errno() : 0;
}

static int record_write_fd(int fd, const Jail *j, const LinkInfo *link) {
        int r;

        if (dprintf(fd, "# Addresses added to the host for jail %s by \"virtualing-helper address up\";\n"
                        "# \"address down\" removes exactly these. FAMILY ADDRESS/PREFIX IFINDEX IFNAME\n", j->name) < 0)
                return negative_errno();
        for (size_t i = 0; i < j->n_addresses; i++) {
                const JailAddress *a = &j->addresses[i];
                _cleanup_free_ char *s = NULL;

                r = format_ip_prefix(a->family, &a->address, a->prefixlen, &s);
                if (r < 0)
                        return r;
                if (dprintf(fd, "%s %s %i %s\n", family_to_string(a->family), s, link->ifindex, link->name) < 0)
                        return negative_errno();
        }
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
                return negative_errno();
        return 0;
}

/* Atomically: a temporary file in the same directory, synced, then renamed over the record. */
static int record_write(const Jail *j, const LinkInfo *link, const char *path) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        int r;

        if (asprintf(&dir, "%s/addresses", runtime_dir()) < 0 || asprintf(&tmp, "%s/.#%s.XXXXXX", dir, j->name) < 0)
                return -ENOMEM;
        r = mkdir_exist_ok(runtime_dir());
        if (r < 0)
                return r;
        r = mkdir_exist_ok(dir);
        if (r < 0)
                return r;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = record_write_fd(fd, j, link);
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }

        /* Make the rename itself durable */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return negative_errno();
        return 0;
}

typedef struct RecordEntry {
        JailAddress address;
        int ifindex;
        char ifname[IF_NAMESIZE];
} RecordEntry;

/* "FAMILY ADDRESS/PREFIX IFINDEX IFNAME"; -EBADMSG if it is not that. */
static int record_parse_line(char *line, RecordEntry *ret) {
        char *fields[5], *save = NULL, *end;
        size_t n = 0;
        long idx;

        for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (n >= ELEMENTSOF(fields))
                        return -EBADMSG;
                fields[n++] = w;
        }
        if (n != 4 || !strchr(fields[1], '/'))
                return -EBADMSG;

        *ret = (RecordEntry) {};
        if (parse_ip_prefix(fields[1], &ret->address.family, &ret->address.address, &ret->address.prefixlen) < 0 ||
            !streq(fields[0], family_to_string(ret->address.family)))
                return -EBADMSG;

        errno = 0;
        idx = strtol(fields[2], &end, 10);
        if (errno != 0 || *end || end == fields[2] || idx <= 0 || idx > INT32_MAX)
                return -EBADMSG;
        ret->ifindex = (int) idx;

        if (!ifname_is_valid(fields[3]))
                return -EBADMSG;
        strcpy(ret->ifname, fields[3]);
        return 0;
}

/* Returns the entries, -ENOENT if there is no record, -EBADMSG if it is malformed. */
static int record_read(const char *path, RecordEntry **ret, size_t *ret_n) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ RecordEntry *entries = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0, allocated = 0;
        ssize_t len;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();

        errno = 0;
        while ((len = getline(&line, &allocated, f)) >= 0) {
                RecordEntry *grown;

                if ((size_t) len != strlen(line)) /* an embedded NUL */
                        return -EBADMSG;
                if (len > 0 && line[len - 1] == '\n')
                        line[--len] = 0;
                if (len == 0 || line[0] == '#')
                        continue;

                grown = realloc(entries, sizeof(RecordEntry) * (n + 1));
                if (!grown)
                        return -ENOMEM;
                entries = grown;
                if (record_parse_line(line, &entries[n]) < 0)
                        return -EBADMSG;
                n++;
        }
        if (ferror(f))
                return errno > 0 ? -errno : -EIO;

        *ret = TAKE_PTR(entries);
        *ret_n = n;
        return 0;
}

/* ---- announcing ---- */

/* A gratuitous ARP: a request for the VIP from the VIP, so neighbours update their caches. */
static int announce_arp(const LinkInfo *link, const struct in_addr *ip) {
        struct {
                struct arphdr h;
                uint8_t sha[ETH_ALEN], spa[4], tha[ETH_ALEN], tpa[4];
        } p = {
                .h.ar_hrd = htons(ARPHRD_ETHER),
                .h.ar_pro = htons(ETH_P_IP),
                .h.ar_hln = ETH_ALEN,
                .h.ar_pln = 4,
                .h.ar_op = htons(ARPOP_REQUEST),
        };
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = link->ifindex,
                .sll_halen = ETH_ALEN,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };
        struct sockaddr_ll bind_ll = { .sll_family = AF_PACKET, .sll_ifindex = link->ifindex };
        _cleanup_close_ int fd = -EBADF;

        _Static_assert(sizeof(p) == 28, "ARP packet layout");
        memcpy(p.sha, link->hwaddr, ETH_ALEN);
        memcpy(p.spa, ip, 4);
        memcpy(p.tpa, ip, 4);

        /* Protocol 0: send only, so no incoming frames are queued on this socket */
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (bind(fd, (struct sockaddr *) &bind_ll, sizeof(bind_ll)) < 0)
                return negative_errno();
        if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *) &sll, sizeof(sll)) < 0)
                return negative_errno();
        return 0;
}

/* An unsolicited Neighbor Advertisement (RFC 4861 7.2.6) to all nodes, overriding caches. */
static int announce_na(const LinkInfo *link, const struct in6_addr *ip) {
        struct {
                struct nd_neighbor_advert na;
                struct nd_opt_hdr opt;
                uint8_t mac[ETH_ALEN];
        } p = {
                .na.nd_na_type = ND_NEIGHBOR_ADVERT,
                .na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE, /* not solicited, not a router */
                .na.nd_na_target = *ip,
                .opt.nd_opt_type = ND_OPT_TARGET_LINKADDR,
                .opt.nd_opt_len = 1, /* in units of 8 bytes */
        };
        struct sockaddr_in6 src = { .sin6_family = AF_INET6, .sin6_addr = *ip };
        struct sockaddr_in6 dst = {
                .sin6_family = AF_INET6,
                .sin6_addr = { .s6_addr = { 0xff, 0x02, [15] = 0x01 } },
                .sin6_scope_id = link->ifindex,
        };
        int ifindex = link->ifindex, hops = 255; /* receivers drop ND with any other hop limit */
        _cleanup_close_ int fd = -EBADF;

        _Static_assert(sizeof(p) == 32, "NA packet layout");
        memcpy(p.mac, link->hwaddr, ETH_ALEN);
        if (IN6_IS_ADDR_LINKLOCAL(ip))
                src.sin6_scope_id = link->ifindex;

        /* The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets */
        fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
        if (fd < 0)
                return negative_errno();
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0)
                return negative_errno();
        /* Possible at once thanks to IFA_F_NODAD: the address is not tentative */
        if (bind(fd, (struct sockaddr *) &src, sizeof(src)) < 0)
                return negative_errno();
        if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *) &dst, sizeof(dst)) < 0)
                return negative_errno();
        return 0;
}

static void announce(const LinkInfo *link, const JailAddress *a) {
        static const uint8_t zero[ETH_ALEN] = {};
        char buf[INET6_ADDRSTRLEN];
        int r;

        /* Nothing to announce without an Ethernet address (loopback, tunnels, …) */
        if (link->type != ARPHRD_ETHER || link->hwaddr_len != ETH_ALEN || memcmp(link->hwaddr, zero, ETH_ALEN) == 0)
                return;
        if (a->family == AF_INET && (link->flags & IFF_NOARP))
                return;

        r = a->family == AF_INET ? announce_arp(link, &a->address.in) : announce_na(link, &a->address.in6);
        if (r < 0)
                log_warning("announcing %s on %s failed, continuing: %s", address_to_string(a, buf), link->name, strerror(-r));
}

/* ---- up and down ---- */

/* Removes the first n addresses of the jail again, so a failed "up" leaves nothing behind. */
static void address_undo(int fd, const Jail *j, size_t n, int ifindex) {
        char buf[INET6_ADDRSTRLEN];
        int r;

        for (size_t i = 0; i < n; i++) {
                r = address_change(fd, RTM_DELADDR, 0, ifindex, &j->addresses[i]);
                if (r < 0 && r != -EADDRNOTAVAIL && r != -ENODEV)
                        log_warning("removing %s again failed: %s", address_to_string(&j->addresses[i], buf), strerror(-r));
        }
}

int address_up(const Jail *j) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        char buf[INET6_ADDRSTRLEN];
        LinkInfo link;
        int r;

        if (j->n_addresses == 0)
                return 0;

        path = record_path(j);
        if (!path)
                return helper_fail(HELPER_EXIT_RUNTIME, "building record path for", j->name, -ENOMEM);

        fd = nl_open();
        if (fd < 0)
                return helper_fail(HELPER_EXIT_ADDRESS, "opening", "rtnetlink socket", fd);

        r = link_get(fd, 0, j->device, &link);
        if (r == -ENODEV)
                return helper_fail(HELPER_EXIT_ADDRESS, "no such network device", j->device, 0);
        if (r < 0)
                return helper_fail(HELPER_EXIT_ADDRESS, "looking up network device", j->device, r);

        r = check_not_busy(fd, j);
        if (r != 0)
                return r;

        for (size_t i = 0; i < j->n_addresses; i++) {
                const JailAddress *a = &j->addresses[i];

                r = address_change(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, link.ifindex, a);
                if (r < 0) {
                        address_undo(fd, j, i, link.ifindex);
                        /* Added by someone else since the check */
                        if (r == -EEXIST) {
                                log_error("address %s already on %s", address_to_string(a, buf), link.name);
                                return HELPER_EXIT_ADDRESS_BUSY;
                        }
                        log_error("adding address %s to %s: %s", address_to_string(a, buf), link.name, strerror(-r));
                        return HELPER_EXIT_ADDRESS;
                }
        }

        r = record_write(j, &link, path);
        if (r < 0) {
                /* Without a record "down" would never remove them */
                address_undo(fd, j, j->n_addresses, link.ifindex);
                return helper_fail(HELPER_EXIT_RUNTIME, "writing record", path, r);
        }

        if (j->announce_arp)
                for (size_t i = 0; i < j->n_addresses; i++)
                        announce(&link, &j->addresses[i]);
        return 0;
}

int address_down(const Jail *j) {
        _cleanup_free_ RecordEntry *entries = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        char buf[INET6_ADDRSTRLEN];
        size_t n = 0;
        int ret = 0, r;

        path = record_path(j);
        if (!path)
                return helper_fail(HELPER_EXIT_RUNTIME, "building record path for", j->name, -ENOMEM);

        r = record_read(path, &entries, &n);
        if (r == -ENOENT) /* never brought up, or already down: nothing of ours to remove */
                return 0;
        if (r == -EBADMSG)
                return helper_fail(HELPER_EXIT_RUNTIME, "malformed record", path, 0);
        if (r < 0)
                return helper_fail(HELPER_EXIT_RUNTIME, "reading record", path, r);

        fd = nl_open();
        if (fd < 0)
                return helper_fail(HELPER_EXIT_ADDRESS, "opening", "rtnetlink socket", fd);

        for (size_t i = 0; i < n; i++) {
                const RecordEntry *e = &entries[i];
                LinkInfo link;

                r = link_get(fd, e->ifindex, NULL, &link);
                if (r == -ENODEV)
                        continue; /* the interface is gone, and the address with it */
                if (r < 0) {
                        log_error("looking up ifindex %i (%s): %s", e->ifindex, e->ifname, strerror(-r));
                        ret = HELPER_EXIT_ADDRESS;
                        continue;
                }
                /* Interface recreated under the same index: the address we added went with the old one */
                if (!streq(link.name, e->ifname)) {
                        log_error("ifindex %i is now %s, not %s; leaving %s alone", e->ifindex, link.name, e->ifname, address_to_string(&e->address, buf));
                        continue;
                }

                r = address_change(fd, RTM_DELADDR, 0, e->ifindex, &e->address);
                if (r < 0 && r != -EADDRNOTAVAIL && r != -ENODEV) {
                        log_error("removing address %s from %s: %s", address_to_string(&e->address, buf), e->ifname, strerror(-r));
                        ret = HELPER_EXIT_ADDRESS;
                }
        }
        /* Keep the record after a failure, so a second "down" can still remove what is left */
        if (ret != 0)
                return ret;

        if (unlink(path) < 0 && errno != ENOENT)
                return helper_fail(HELPER_EXIT_RUNTIME, "removing record", path, negative_errno());
        return 0;
}

#include "dataplane/port/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace weft::dp {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(errno), absl::StrCat(what, ": ", strerror(errno)));
}

bool FillIfreq(const std::string& name, ifreq& ifr) {
  memset(&ifr, 0, sizeof(ifr));
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  memcpy(ifr.ifr_name, name.data(), name.size());
  return true;
}

// Runs one SIOC* ioctl on a throwaway datagram socket.
absl::Status NetdevIoctl(const std::string& name, unsigned long request, ifreq& ifr,
                         const std::string& what) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Errno("socket");
  int rc = ioctl(s, request, &ifr);
  int saved = errno;
  close(s);
  errno = saved;
  if (rc < 0) return Errno(absl::StrCat(name, ": ", what));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> OpenTap(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError(absl::StrCat("bad TAP name \"", name, "\""));
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Errno("open /dev/net/tun");
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    absl::Status s = Errno(absl::StrCat("TAP ", name, ": TUNSETIFF"));
    close(fd);
    return s;
  }
  if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
    absl::Status s = Errno(absl::StrCat("TAP ", name, ": TUNSETPERSIST"));
    close(fd);
    return s;
  }
  return fd;
}

absl::Status SetTapPersist(int fd, bool persist) {
  if (ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0) return Errno("TUNSETPERSIST");
  return absl::OkStatus();
}

absl::Status SetTapCarrier(int fd, bool up) {
  int on = up ? 1 : 0;
  if (ioctl(fd, TUNSETCARRIER, &on) < 0) return Errno("TUNSETCARRIER");
  return absl::OkStatus();
}

absl::StatusOr<std::string> TapNameOf(int fd) {
  ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) return Errno("TUNGETIFF");
  return std::string(ifr.ifr_name);
}

absl::Status SetNetdevMtu(const std::string& name, uint32_t mtu) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  ifr.ifr_mtu = static_cast<int>(mtu);
  return NetdevIoctl(name, SIOCSIFMTU, ifr, absl::StrCat("setting mtu ", mtu));
}

absl::StatusOr<uint32_t> GetNetdevMtu(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  if (absl::Status s = NetdevIoctl(name, SIOCGIFMTU, ifr, "reading mtu"); !s.ok()) return s;
  return static_cast<uint32_t>(ifr.ifr_mtu);
}

absl::Status SetNetdevMac(const std::string& name, const rte_ether_addr& mac) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy(ifr.ifr_hwaddr.sa_data, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  return NetdevIoctl(name, SIOCSIFHWADDR, ifr, "setting mac");
}

absl::StatusOr<rte_ether_addr> GetNetdevMac(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  if (absl::Status s = NetdevIoctl(name, SIOCGIFHWADDR, ifr, "reading mac"); !s.ok()) return s;
  rte_ether_addr mac;
  memcpy(mac.addr_bytes, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
  return mac;
}

absl::Status SetNetdevUp(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  if (absl::Status s = NetdevIoctl(name, SIOCGIFFLAGS, ifr, "reading flags"); !s.ok()) return s;
  if (ifr.ifr_flags & IFF_UP) return absl::OkStatus();
  ifr.ifr_flags |= IFF_UP;
  return NetdevIoctl(name, SIOCSIFFLAGS, ifr, "setting up");
}

absl::Status SetNetdevAdminUp(const std::string& name, bool up) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return absl::InvalidArgumentError("bad netdev name");
  if (absl::Status s = NetdevIoctl(name, SIOCGIFFLAGS, ifr, "reading flags"); !s.ok()) return s;
  if (bool(ifr.ifr_flags & IFF_UP) == up) return absl::OkStatus();
  if (up)
    ifr.ifr_flags |= IFF_UP;
  else
    ifr.ifr_flags &= ~IFF_UP;
  return NetdevIoctl(name, SIOCSIFFLAGS, ifr, up ? "setting up" : "setting down");
}

bool NetdevExists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

bool NetdevRunning(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, ifr)) return false;
  if (!NetdevIoctl(name, SIOCGIFFLAGS, ifr, "reading flags").ok()) return false;
  return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);  // RUNNING: carrier on
}

absl::Status DeleteTap(const std::string& name) {
  if (!NetdevExists(name)) return absl::OkStatus();
  absl::StatusOr<int> fd = OpenTap(name);
  if (!fd.ok()) return fd.status();
  absl::Status s = SetTapPersist(*fd, false);
  close(*fd);
  return s;
}

}  // namespace weft::dp

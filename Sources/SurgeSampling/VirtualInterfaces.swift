#if canImport(Glibc)
import Glibc
#endif

/// Which network interfaces carry the host's own traffic. A packet to a container crosses the
/// host's NIC, then a bridge and a veth, and each counts it in /proc/net/dev; traffic shaped
/// through an ifb is counted again there. So the `net_*` rates sum the physical interfaces only,
/// those the kernel does not list in /sys/devices/virtual/net (netdata's aggregate of "physical
/// network interfaces" draws the same line). A bond's slaves, a bridge's ports and a VM's
/// virtio NIC are physical there, so each packet is counted once.
public enum VirtualInterfaces {
    /// The live kernel's virtual interfaces (of the daemon's network namespace), read from
    /// `directory`; nil when it cannot be listed (no sysfs), so that every interface counts.
    public static func listed(in directory: String = "/sys/devices/virtual/net") -> Set<String>? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        var names: Set<String> = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.insert(name) }
        }
        return names
    }

    /// Whether each of `names` (in /proc/net/dev's order) counts toward the host's traffic: the
    /// physical ones. Where none is physical (a container, whose eth0 is a veth; a /proc tree
    /// without a sysfs to ask, `virtual` nil) every interface but the loopback counts.
    public static func counted(_ names: [String], virtual: Set<String>?) -> [Bool] {
        let notLoopback = names.map { $0 != "lo" }
        guard let virtual else { return notLoopback }
        let physical = names.map { $0 != "lo" && !virtual.contains($0) }
        return physical.contains(true) ? physical : notLoopback
    }
}

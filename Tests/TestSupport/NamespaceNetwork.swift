import Foundation

/// Network namespaces of a test's own: the coordinator's, linked to each worker's by a veth pair
/// on 10.200.N.0/24 (coordinator .1, worker .2), so traffic really leaves the coordinator's
/// network stack. Removed again by ``destroy()``, which also ends what runs inside. Needs root.
public struct NamespaceNetwork: Sendable {
    public static let ip = "/usr/sbin/ip"
    public static let tc = "/usr/sbin/tc"

    public struct Worker: Sendable {
        public let namespace: String
        /// The coordinator's address on this worker's link.
        public let coordinatorAddress: String
        /// The veth end in the coordinator's namespace (its egress carries CHUNKs to this worker).
        public let coordinatorDevice: String
        /// The veth end in the worker's namespace (its egress carries this worker's messages).
        public let workerDevice: String
    }

    /// Why namespaces cannot be made here (not root, `ip netns add` refused); tests skip with it.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public let coordinator: String
    public let workers: [Worker]

    /// Throws ``Unavailable`` where namespaces cannot be made.
    public static func create(workers count: Int = 2) throws -> NamespaceNetwork {
        guard getuid() == 0 else { throw Unavailable(description: "needs root: `ip netns add` requires CAP_SYS_ADMIN (running as uid \(getuid()))") }
        guard FileManager.default.isExecutableFile(atPath: ip) else { throw Unavailable(description: "\(ip) not found (install iproute2)") }
        let tag = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        let coordinator = "engage-c-\(tag)"
        let network = NamespaceNetwork(coordinator: coordinator, workers: (1...count).map {
            Worker(namespace: "engage-w\($0)-\(tag)", coordinatorAddress: "10.200.\($0).1",
                   coordinatorDevice: "ec\($0)-\(coordinator.suffix(4))", workerDevice: "ew\($0)-\(coordinator.suffix(4))")
        })
        let probe = try run(ip, ["netns", "add", network.coordinator])
        guard probe.status == 0 else { throw Unavailable(description: "`ip netns add` is not permitted here: \(probe.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        do {
            try network.link()
        } catch {
            network.destroy()
            throw error
        }
        return network
    }

    private func link() throws {
        try Self.ip(["-n", coordinator, "link", "set", "lo", "up"])
        for (index, worker) in workers.enumerated() {
            let subnet = index + 1
            try Self.ip(["netns", "add", worker.namespace])
            try Self.ip(["link", "add", worker.coordinatorDevice, "netns", coordinator, "type", "veth", "peer", "name", worker.workerDevice, "netns", worker.namespace])
            try Self.ip(["-n", coordinator, "addr", "add", "10.200.\(subnet).1/24", "dev", worker.coordinatorDevice])
            try Self.ip(["-n", worker.namespace, "addr", "add", "10.200.\(subnet).2/24", "dev", worker.workerDevice])
            for (namespace, device) in [(coordinator, worker.coordinatorDevice), (worker.namespace, worker.workerDevice), (worker.namespace, "lo")] {
                try Self.ip(["-n", namespace, "link", "set", device, "up"])
            }
        }
    }

    /// Takes a worker's link down or up (`ip link set DEV down|up` in its namespace).
    public func setLink(of worker: Worker, up: Bool) throws {
        try Self.ip(["-n", worker.namespace, "link", "set", worker.workerDevice, up ? "up" : "down"])
    }

    /// Limits what leaves `device` in `namespace` to `rate` (e.g. "20mbit") with a token-bucket
    /// qdisc (`tc … tbf`: it needs no kernel module beyond the default, unlike netem); nil removes the limit.
    public func throttle(_ device: String, in namespace: String, rate: String?) throws {
        let arguments = rate.map { ["qdisc", "replace", "dev", device, "root", "tbf", "rate", $0, "burst", "32kbit", "latency", "400ms"] }
            ?? ["qdisc", "del", "dev", device, "root"]
        let result = try Self.run(Self.ip, ["netns", "exec", namespace, Self.tc] + arguments)
        guard result.status == 0 || rate == nil else { throw HarnessError("tc \(arguments.joined(separator: " ")) in \(namespace) failed: \(result.output)") }
    }

    /// Kills whatever still runs in the namespaces and deletes them (their veths go with them).
    public func destroy() {
        for namespace in [coordinator] + workers.map(\.namespace) {
            if let pids = try? Self.run(Self.ip, ["netns", "pids", namespace]).output {
                for pid in pids.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? Self.run(Self.ip, ["netns", "del", namespace])
        }
    }

    private static func ip(_ arguments: [String]) throws {
        let result = try run(ip, arguments)
        guard result.status == 0 else { throw HarnessError("ip \(arguments.joined(separator: " ")) failed: \(result.output)") }
    }

    /// Runs a tool to completion; its exit status and everything it printed.
    public static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

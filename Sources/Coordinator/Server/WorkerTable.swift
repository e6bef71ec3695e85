import Foundation
import Wire

/// The workers the coordinator knows, keyed by their ROUTER identity, with their liveness.
struct WorkerTable {
    struct Entry {
        var peer: Data
        var hello: HelloHeader
        var liveness: Liveness
        var cachedShards: Set<String>
        var runningJob: String?
        /// The CURVE public key its connection authenticated with; nil without CURVE.
        var key: String?

        var name: String { "\(hello.workerID)@\(hello.host)" }
    }

    private(set) var entries: [Data: Entry] = [:]

    mutating func add(peer: Data, hello: HelloHeader, liveness: Liveness) {
        entries[peer] = Entry(peer: peer, hello: hello, liveness: liveness, cachedShards: Set(hello.cachedShards), runningJob: nil)
    }

    subscript(peer: Data) -> Entry? {
        get { entries[peer] }
        set { entries[peer] = newValue }
    }

    mutating func remove(_ peer: Data) -> Entry? { entries.removeValue(forKey: peer) }

    var idle: [Entry] { entries.values.filter { $0.runningJob == nil }.sorted { $0.name < $1.name } }
    var all: [Entry] { Array(entries.values) }
    var count: Int { entries.count }
}

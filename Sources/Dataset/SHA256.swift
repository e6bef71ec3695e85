import CSHA256
import Foundation

/// SHA-256 (FIPS 180-4), used to name shards and artifacts by their content.
///
/// Implemented here because Foundation on Linux has no CryptoKit, and one small,
/// tested function is cheaper to build than a cryptography package. On x86 CPUs with the SHA
/// extensions whole blocks go through them (`CSHA256`, about ten times the portable loop's
/// speed: every shard and artifact is hashed when written and verified when read).
public struct SHA256: Sendable {
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    /// Whether whole blocks go through the CPU's SHA extensions.
    private let usesHardware: Bool

    static let hardwareAvailable = engage_sha256_hardware_available() != 0

    public init() { usesHardware = Self.hardwareAvailable }

    /// A hasher that never uses the SHA extensions, to check the portable loop against them.
    init(portable: Bool) { usesHardware = !portable && Self.hardwareAvailable }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        update(Data(bytes))
    }

    /// Hashes whole 64-byte blocks straight from the caller's buffer; only a partial block is copied.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            length &+= UInt64(raw.count)
            if !buffer.isEmpty {
                let take = min(64 - buffer.count, raw.count)
                buffer.append(contentsOf: raw[0..<take])
                offset = take
                if buffer.count == 64 {
                    buffer.withUnsafeBytes { compressBlocks($0.baseAddress!, count: 1) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            let blocks = (raw.count - offset) / 64
            if blocks > 0 {
                compressBlocks(raw.baseAddress! + offset, count: blocks)
                offset += blocks * 64
            }
            if offset < raw.count { buffer.append(contentsOf: raw[offset..<raw.count]) }
        }
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (buffer.count + tail.count) % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        update(Data(tail))
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in state {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    private mutating func compressBlocks(_ start: UnsafeRawPointer, count: Int) {
        if usesHardware {
            state.withUnsafeMutableBufferPointer { state in
                engage_sha256_hardware_blocks(state.baseAddress!, start.assumingMemoryBound(to: UInt8.self), count)
            }
            return
        }
        for block in 0..<count { compress(UnsafeRawBufferPointer(start: start + block * 64, count: 64)) }
    }

    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 {
                w[i] = UInt32(block[4 * i]) << 24 | UInt32(block[4 * i + 1]) << 16 | UInt32(block[4 * i + 2]) << 8 | UInt32(block[4 * i + 3])
            }
            for i in 16..<64 {
                let s0 = w[i - 15].rotateRight(7) ^ w[i - 15].rotateRight(18) ^ (w[i - 15] >> 3)
                let s1 = w[i - 2].rotateRight(17) ^ w[i - 2].rotateRight(19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            withUnsafePointer(to: engage_sha256_round_constants) { table in
                let k = UnsafeRawPointer(table).assumingMemoryBound(to: UInt32.self)
                for i in 0..<64 {
                    let s1 = e.rotateRight(6) ^ e.rotateRight(11) ^ e.rotateRight(25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = a.rotateRight(2) ^ a.rotateRight(13) ^ a.rotateRight(22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
            state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
        }
    }

    /// Lower-case hex digest of `data`.
    public static func hex(_ data: Data) -> String {
        var hasher = SHA256()
        hasher.update(data)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Lower-case hex digest of a UTF-8 string.
    public static func hex(_ string: String) -> String { hex(Data(string.utf8)) }

    /// Lower-case hex digest of a file's contents, streamed.
    public static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

private extension UInt32 {
    func rotateRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}

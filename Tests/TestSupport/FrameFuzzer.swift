import Foundation
import ModelZoo

/// Makes reproducible hostile multipart messages from real ones: flipped bytes, truncated or
/// padded frame lists, random frames, headers over the 1 MiB limit. The fuzz tests feed its
/// output to the envelope parser, the coordinator and the worker, which must drop and count it.
public struct FrameFuzzer {
    private var random: SplitMix64
    private let seeds: [[Data]]
    /// Bytes of a header that exceeds `ProtocolLimits.maxHeaderBytes` (1 MiB).
    public static let hugeHeaderBytes = (1 << 20) + 1

    /// Mutates `seeds`, real messages (frames without a ROUTER identity); `seed` fixes the sequence.
    public init(seeds: [[Data]], seed: UInt64) {
        precondition(!seeds.isEmpty)
        self.seeds = seeds
        random = SplitMix64(seed: seed)
    }

    private mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

    private mutating func bytes(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }) }

    /// The next hostile message: one of seven mutations of a seed message, or pure noise.
    public mutating func next() -> [Data] {
        var frames = seeds[below(seeds.count)]
        switch below(1000) {
        case 0..<300:
            for _ in 0...below(4) {
                let index = below(frames.count)
                guard !frames[index].isEmpty else { continue }
                let at = frames[index].startIndex + below(frames[index].count)
                frames[index][at] ^= UInt8(truncatingIfNeeded: 1 + below(255))
            }
        case 300..<450:
            let index = below(frames.count)
            frames[index] = frames[index].prefix(below(frames[index].count))
        case 450..<600:
            frames = Array(frames.prefix(below(frames.count)))
        case 600..<700:
            frames += (0...below(3)).map { _ in bytes(below(64)) }
        case 700..<800:
            frames[below(frames.count)] = bytes(below(256))
        case 800..<850:
            frames.swapAt(below(frames.count), below(frames.count))
        case 850..<998:
            frames = (0..<below(9)).map { _ in bytes(below(128)) }
        default:
            if frames.count >= 3 { frames[2] = Data(repeating: UInt8(ascii: " "), count: Self.hugeHeaderBytes) }
        }
        return frames
    }
}

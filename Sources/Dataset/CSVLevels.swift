/// Gives each distinct text of a categorical CSV column a code, in first-seen order, without
/// making a `String` per cell.
///
/// A cell is looked up by its bytes in an open-addressing table. Only a byte sequence not seen
/// before becomes a `String`, and is then looked up by `String` equality (Unicode canonical
/// equivalence), so two spellings of one text share a level exactly as a `[String: Int32]`
/// dictionary over every cell would have it.
struct CSVLevels {
    private(set) var levels: [String] = []
    private var codeOfText: [String: Int32] = [:]
    /// Distinct byte sequences seen, back to back.
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Index into `entries` + 1; 0 is an empty slot. The count is a power of two.
    private var slots: [Int32] = [Int32](repeating: 0, count: 64)

    private struct Entry {
        var hash: UInt64
        var start: Int
        var length: Int
        var code: Int32
    }

    /// The code of the cell text `bytes`, adding a level when the text is new.
    mutating func code(of bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index == 0 { break }
            let entry = entries[index - 1]
            if entry.hash == hash && entry.length == bytes.count && sameBytes(entry, bytes) { return entry.code }
            slot = (slot + 1) & mask
        }
        let code = levelCode(of: String(decoding: bytes, as: UTF8.self))
        let entry = Entry(hash: hash, start: arena.count, length: bytes.count, code: code)
        arena.append(contentsOf: bytes)
        entries.append(entry)
        slots[slot] = Int32(entries.count)
        if entries.count * 2 > slots.count { grow() }
        return code
    }

    private mutating func levelCode(of text: String) -> Int32 {
        if let code = codeOfText[text] { return code }
        let code = Int32(levels.count)
        codeOfText[text] = code
        levels.append(text)
        return code
    }

    private func sameBytes(_ entry: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { arena in
            for i in 0..<bytes.count where arena[entry.start &+ i] != bytes[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while bigger[slot] != 0 { slot = (slot + 1) & mask }
            bigger[slot] = Int32(index + 1)
        }
        slots = bigger
    }

    /// FNV-1a, then a final mix so that the low bits used for the slot depend on every byte.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }
}

import Foundation

extension JSONEncoder {
    /// An encoder with sorted keys: the JSON that artifacts and reports store, byte-stable for
    /// the same value, so hashes and diffs of stored documents mean something.
    public static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

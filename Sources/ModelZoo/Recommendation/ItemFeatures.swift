import Dataset

/// The side information of every item: its category and the hashed words of its title.
///
/// This is what lets the recommender say something about an item from what it is, not only
/// from who used it. Title words are hashed into a fixed number of buckets (the "hashing
/// trick"), so the vocabulary never has to be stored or grown, and each bucket learns an
/// embedding from the interactions. See docs/models.md for why this replaces BERT.
public struct ItemFeatures: Sendable, Equatable {
    /// Category names; an item's category is an index into this list, or -1.
    public let categories: [String]
    /// Per item index: its category, or -1 when unknown.
    public let itemCategory: [Int32]
    /// Number of hash buckets for title words.
    public let wordBuckets: Int
    /// Words of item i are `words[wordStart[i]..<wordStart[i + 1]]`, as bucket numbers.
    public let wordStart: [Int32]
    public let words: [Int32]

    public init(categories: [String], itemCategory: [Int32], wordBuckets: Int, wordStart: [Int32], words: [Int32]) throws {
        guard wordBuckets >= 1, wordBuckets <= 1 << 24 else {
            throw RecommenderError.invalidModel("\(wordBuckets) word buckets is outside 1...16777216")
        }
        guard itemCategory.allSatisfy({ $0 >= -1 && Int($0) < categories.count }) else {
            throw RecommenderError.invalidModel("an item's category is outside the \(categories.count) categories")
        }
        guard wordStart.count == itemCategory.count + 1, wordStart.first == 0, Int(wordStart.last ?? -1) == words.count,
              zip(wordStart, wordStart.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw RecommenderError.invalidModel("title word offsets do not match \(itemCategory.count) items and \(words.count) words")
        }
        guard words.allSatisfy({ $0 >= 0 && Int($0) < wordBuckets }) else {
            throw RecommenderError.invalidModel("a title word is outside the \(wordBuckets) buckets")
        }
        self.categories = categories
        self.itemCategory = itemCategory
        self.wordBuckets = wordBuckets
        self.wordStart = wordStart
        self.words = words
    }

    /// No side information for `itemCount` items.
    public static func none(itemCount: Int, wordBuckets: Int = 1) -> ItemFeatures {
        try! ItemFeatures(categories: [], itemCategory: Array(repeating: -1, count: itemCount), wordBuckets: wordBuckets,
                          wordStart: Array(repeating: 0, count: itemCount + 1), words: [])
    }

    /// Reads the items table: for every item of `items`, its row's category and title (items
    /// absent from the table get neither).
    public init(table: Table, items: IDVocabulary, idColumn: String, categoryColumn: String?, textColumn: String?,
                wordBuckets: Int, tableName: String = "items") throws {
        func column(_ name: String) throws -> Column {
            guard let index = table.index(of: name) else {
                throw RecommenderError.missingColumn(name, table: tableName, available: table.names)
            }
            return table.columns[index]
        }
        let ids = IDVocabulary.keys(try column(idColumn))
        var rowOf = [Int](repeating: -1, count: items.count)
        for (row, id) in ids.enumerated() {
            guard let id else { throw RecommenderError.missingID(table: tableName, column: idColumn, row: row) }
            guard let index = items.index(of: id) else { continue }
            guard rowOf[Int(index)] < 0 else { throw RecommenderError.duplicateID(id, column: idColumn) }
            rowOf[Int(index)] = row
        }
        var categories = [String]()
        var itemCategory = [Int32](repeating: -1, count: items.count)
        if let categoryColumn {
            let names = IDVocabulary.keys(try column(categoryColumn))
            var lookup = [String: Int32]()
            for (item, row) in rowOf.enumerated() where row >= 0 {
                guard let name = names[row] else { continue }
                if let known = lookup[name] { itemCategory[item] = known } else {
                    lookup[name] = Int32(categories.count)
                    itemCategory[item] = Int32(categories.count)
                    categories.append(name)
                }
            }
        }
        var wordStart: [Int32] = [0], words = [Int32]()
        let texts = try textColumn.map { IDVocabulary.keys(try column($0)) }
        let hasher = TitleHasher(buckets: wordBuckets)
        for row in rowOf {
            if row >= 0, let text = texts?[row] ?? nil { words += hasher.buckets(of: text) }
            wordStart.append(Int32(words.count))
        }
        try self.init(categories: categories, itemCategory: itemCategory, wordBuckets: wordBuckets, wordStart: wordStart,
                      words: words)
    }

    public var itemCount: Int { itemCategory.count }
}

/// Splits a title into lower-case words of letters and digits and hashes each (64-bit FNV-1a)
/// into a bucket; a word repeated in one title counts once.
public struct TitleHasher: Sendable {
    public let buckets: Int

    public init(buckets: Int) {
        precondition(buckets >= 1, "a title hasher needs at least one bucket")
        self.buckets = buckets
    }

    public func buckets(of text: String) -> [Int32] {
        var result = [Int32]()
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var inWord = false
        func finish() {
            if inWord {
                let bucket = Int32(hash % UInt64(buckets))
                if !result.contains(bucket) { result.append(bucket) }
            }
            hash = 0xCBF2_9CE4_8422_2325
            inWord = false
        }
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                for byte in String(scalar).utf8 {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x0000_0100_0000_01B3
                }
                inWord = true
            } else {
                finish()
            }
        }
        finish()
        return result
    }
}

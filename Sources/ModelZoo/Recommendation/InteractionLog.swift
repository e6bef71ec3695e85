import Dataset

/// Who interacted with what and when, with users and items mapped to dense indices.
///
/// The recommender's training input. Built from any table with a user column, an item column
/// and optionally a timestamp column (without one, row order is time order). A (user, item)
/// pair that occurs more than once counts once, at its latest time.
public struct InteractionLog: Sendable {
    public let users: IDVocabulary
    public let items: IDVocabulary
    /// Per interaction, ordered by user, then time.
    let user: [Int32]
    let item: [Int32]
    let time: [Double]
    /// Interactions of user u are `userStart[u]..<userStart[u + 1]`.
    let userStart: [Int]

    /// `knownItems` (the catalogue's ids, in catalogue order) come first in the item vocabulary,
    /// so items nobody has interacted with yet still get an index.
    public init(table: Table, userColumn: String, itemColumn: String, timestampColumn: String? = nil,
                knownItems: [String] = [], tableName: String = "interactions") throws {
        func column(_ name: String) throws -> Column {
            guard let index = table.index(of: name) else {
                throw RecommenderError.missingColumn(name, table: tableName, available: table.names)
            }
            return table.columns[index]
        }
        let userKeys = IDVocabulary.keys(try column(userColumn))
        let itemKeys = IDVocabulary.keys(try column(itemColumn))
        let times = try timestampColumn.map { try column($0).numericValues }
        var userIndex = [String: Int32](), userIDs = [String]()
        var itemIndex = [String: Int32](), itemIDs = [String]()
        for id in knownItems where itemIndex[id] == nil {
            itemIndex[id] = Int32(itemIDs.count)
            itemIDs.append(id)
        }
        var triples = [(user: Int32, item: Int32, time: Double)]()
        triples.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount {
            guard let u = userKeys[row] else { throw RecommenderError.missingID(table: tableName, column: userColumn, row: row) }
            guard let i = itemKeys[row] else { throw RecommenderError.missingID(table: tableName, column: itemColumn, row: row) }
            let t = times?[row] ?? Double(row)
            guard t.isFinite else { throw RecommenderError.invalidTimestamp(column: timestampColumn ?? "", row: row, value: t) }
            let ui: Int32
            if let known = userIndex[u] { ui = known } else {
                ui = Int32(userIDs.count)
                userIndex[u] = ui
                userIDs.append(u)
            }
            let ii: Int32
            if let known = itemIndex[i] { ii = known } else {
                ii = Int32(itemIDs.count)
                itemIndex[i] = ii
                itemIDs.append(i)
            }
            triples.append((ui, ii, t))
        }
        try self.init(users: IDVocabulary(ids: userIDs), items: IDVocabulary(ids: itemIDs), triples: triples)
    }

    /// From dense indices directly (tests, and the leave-one-out split).
    init(users: IDVocabulary, items: IDVocabulary, triples: [(user: Int32, item: Int32, time: Double)]) throws {
        for t in triples where t.user < 0 || Int(t.user) >= users.count || t.item < 0 || Int(t.item) >= items.count {
            throw RecommenderError.invalidModel("interaction (\(t.user), \(t.item)) is outside the vocabularies")
        }
        // Bucket by user (keeping row order), then order each user's run by time.
        var bucketStart = [Int](repeating: 0, count: users.count + 1)
        for t in triples { bucketStart[Int(t.user) + 1] += 1 }
        for u in 0..<users.count { bucketStart[u + 1] += bucketStart[u] }
        var fill = bucketStart
        var byUser = [Int](repeating: 0, count: triples.count)
        for (position, t) in triples.enumerated() {
            byUser[fill[Int(t.user)]] = position
            fill[Int(t.user)] += 1
        }
        var user = [Int32](), item = [Int32](), time = [Double]()
        user.reserveCapacity(triples.count)
        item.reserveCapacity(triples.count)
        time.reserveCapacity(triples.count)
        var userStart = [Int](repeating: 0, count: users.count + 1)
        var seen = Set<Int32>()
        for u in 0..<users.count {
            var run = Array(byUser[bucketStart[u]..<bucketStart[u + 1]])
            run.sort { triples[$0].time < triples[$1].time || (triples[$0].time == triples[$1].time && $0 < $1) }
            // A repeated pair counts once, at its latest time.
            seen.removeAll(keepingCapacity: true)
            var kept = [Int]()
            for position in run.reversed() where seen.insert(triples[position].item).inserted { kept.append(position) }
            for position in kept.reversed() {
                user.append(Int32(u))
                item.append(triples[position].item)
                time.append(triples[position].time)
            }
            userStart[u + 1] = user.count
        }
        self.users = users
        self.items = items
        self.user = user
        self.item = item
        self.time = time
        self.userStart = userStart
    }

    public var interactionCount: Int { user.count }

    /// The item indices of user `u`, oldest first.
    func items(of u: Int) -> ArraySlice<Int32> { item[userStart[u]..<userStart[u + 1]] }

    /// Interactions per item.
    func itemCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: items.count)
        for i in item { counts[Int(i)] += 1 }
        return counts
    }
}

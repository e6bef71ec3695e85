/// Cutting a table's rows into shards.
///
/// Exists so that the coordinator and tests agree on how rows map to shards:
/// contiguous runs of the given row order, sizes differing by at most one.
public enum Sharding {
    /// `shards` tables holding `rows` (indices into `table`) in order; the first
    /// `rows.count % shards` pieces get one row more. Pieces are empty when there
    /// are fewer rows than shards.
    public static func split(_ table: Table, rows: [Int], into shards: Int) -> [Table] {
        precondition(shards >= 1, "split needs at least one shard, got \(shards)")
        let base = rows.count / shards
        let extra = rows.count % shards
        var pieces: [Table] = []
        pieces.reserveCapacity(shards)
        var start = 0
        for s in 0..<shards {
            let size = base + (s < extra ? 1 : 0)
            pieces.append(table.rows(Array(rows[start..<(start + size)])))
            start += size
        }
        return pieces
    }
}

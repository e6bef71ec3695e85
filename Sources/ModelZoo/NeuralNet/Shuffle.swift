/// Seeded Fisher–Yates shuffles, so that epoch orders are reproducible from the seed.
enum Shuffle {
    static func inPlace<T>(_ values: inout [T], using rng: inout SplitMix64) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
    }
}

import Dataset

extension ClusterConfig {
    /// Reads `drift:` (every key optional, defaults as `DriftThresholds()`); errors name the line and key.
    mutating func readDrift(_ root: YAMLNodeReader) throws {
        guard let d = try root.mapping("drift", allowedKeys: ["alpha", "psi_threshold", "drifted_share", "correction", "bins"]) else { return }
        var thresholds = drift
        thresholds.alpha = try d.double("alpha") ?? thresholds.alpha
        thresholds.psiThreshold = try d.double("psi_threshold") ?? thresholds.psiThreshold
        thresholds.driftedShare = try d.double("drifted_share") ?? thresholds.driftedShare
        if let correction = try d.string("correction", oneOf: PValueCorrection.allCases.map(\.rawValue)) {
            thresholds.correction = PValueCorrection(rawValue: correction)!
        }
        thresholds.bins = try d.int("bins") ?? thresholds.bins
        do {
            drift = try thresholds.validated()
        } catch DriftError.setting(let key, let value, let expected) {
            throw d.fail(key, d.child(key)!, "expected \(expected), found \(value)")
        }
    }
}

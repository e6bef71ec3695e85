import Foundation

/// The `models:` section of all six models, small enough for tests: GBDTs of `trees` trees with
/// `leaves` leaves, an anomaly forest of `forestTrees`, a one-epoch NeuMF of `factors` factors (epochs as
/// single passes, `epoch_steps: 0`).
public func sixModels(trees: Int, leaves: Int, shapRows: Int, permutationRows: Int, forestTrees: Int, autoencoderEpochs: Int, factors: Int) -> String {
    let gbdt = "trees: \(trees), leaves: \(leaves), shap_rows: \(shapRows), permutation_rows: \(permutationRows)"
    return """
      engagement:     { kind: gbdt, objective: regression, target: engagement_score, \(gbdt) }
      churn:          { kind: gbdt, objective: binary, target: churn_30_day, shap: true, \(gbdt) }
      lifetime_value: { kind: gbdt, objective: quantile, target: lifetime_value_usd, \(gbdt) }
      anomaly:        { kind: anomaly, target: is_anomaly, trees: \(forestTrees), epochs: \(autoencoderEpochs) }
      recommender:    { kind: ncf, epochs: 1, epoch_steps: 0, factors: \(factors), layers: [\(2 * factors), \(factors)] }
      ensemble:       { kind: stacking, inputs: [engagement, churn, lifetime_value, anomaly, recommender], reference: churn }
    """
}

/// A small, fast cluster file for tests: few rows, few trees, short heartbeats; `security` is
/// the `cluster.security` mapping, if any.
public func smallClusterFile(in directory: String, rows: Int = 5000, workers: Int = 2, trees: Int = 30, models: String? = nil, heartbeatMs: Int = 500,
                             security: String? = nil) throws -> String {
    let text = """
    cluster:
      coordinator: { bind: "tcp://127.0.0.1:*", heartbeat_ms: \(heartbeatMs), liveness: 6, max_attempts: 3 }
      hosts:
        - { host: localhost, workers: \(workers), threads: 1 }
    \(security.map { "  security: \($0)" } ?? "")
    data: { source: generate, rows: \(rows), seed: 11, shards: 4, test_fraction: 0.2, folds: 2 }
    registry: { path: registry/engage.sqlite }
    work_dir: work
    models:
    \(models ?? """
      engagement: { kind: gbdt, objective: regression, target: engagement_score, trees: \(trees), leaves: 15, shap_rows: 100, permutation_rows: 300 }
      churn:      { kind: gbdt, objective: binary, target: churn_30_day, trees: \(trees), leaves: 15, shap: true, shap_rows: 100, permutation_rows: 300 }
    """)
    """
    let path = (directory as NSString).appendingPathComponent("cluster.yaml")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

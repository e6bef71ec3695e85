/// One evaluation number of a model, e.g. `test`/`auc` = 0.91: what a job reports and what the
/// registry stores.
///
/// `split` names the data the number was measured on (`test`, `train`, `valid`, `oof`).
/// A metric that is undefined for the data (an AUC over a single class) is stored as NaN.
public struct MetricValue: Codable, Sendable, Equatable {
    public var split: String
    public var name: String
    public var value: Double

    public init(split: String, name: String, value: Double) {
        self.split = split
        self.name = name
        self.value = value
    }
}

import Dataset
import Foundation
import ModelZoo

/// The `curves` report a pipeline may store with a version:
/// `{"roc": [[fpr, tpr]], "pr": [[recall, precision]], "calibration": [[meanScore, observedRate, count]]}`.
///
/// Exists so that a version whose test shards are gone still gets its curves in the report.
struct StoredCurves: Decodable {
    static let registryName = "curves"

    var roc: [[Double]]?
    var pr: [[Double]]?
    var calibration: [[Double]]?

    static func decode(json: String, model: String) throws -> ClassifierCurves {
        let stored: StoredCurves
        do {
            stored = try EngageJSONDecoder().decode(StoredCurves.self, from: Data(json.utf8))
        } catch {
            throw ReportError.unreadableReport(name: registryName, model: model, reason: String(describing: error))
        }
        return try stored.curves(model: model)
    }

    private func curves(model: String) throws -> ClassifierCurves {
        let roc = try pairs(self.roc ?? [], "roc", model).sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        var pr = try pairs(self.pr ?? [], "pr", model)
        if let first = pr.first, let last = pr.last, first.x < last.x { pr.reverse() }
        let calibrationRows: [[Double]] = calibration ?? []
        let bins = try calibrationRows.enumerated().map { index, row -> CalibrationPoint in
            guard row.count == 3, row[2] >= 0, row[2] == row[2].rounded() else {
                throw ReportError.unreadableReport(name: Self.registryName, model: model,
                                                   reason: "calibration[\(index)] must be [meanScore, observedRate, count], not \(row)")
            }
            return CalibrationPoint(meanScore: row[0], observedRate: row[1], count: Int(row[2]))
        }
        return ClassifierCurves(rows: nil, positives: nil, roc: roc, precisionRecall: pr, calibration: bins,
                                auc: ClassifierCurves.trapezoidArea(roc), averagePrecision: ClassifierCurves.averagePrecision(pr))
    }

    private func pairs(_ rows: [[Double]], _ key: String, _ model: String) throws -> [CurvePoint] {
        try rows.enumerated().map { index, row in
            guard row.count == 2 else {
                throw ReportError.unreadableReport(name: Self.registryName, model: model, reason: "\(key)[\(index)] must be a pair, not \(row)")
            }
            return CurvePoint(x: row[0], y: row[1])
        }
    }
}

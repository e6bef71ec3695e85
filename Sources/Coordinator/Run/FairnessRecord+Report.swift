import ModelZoo
import Registry

extension FairnessRecord {
    /// The registry's queryable form of a fairness report: every number the report holds, and
    /// the four-fifths verdict (a report whose ratios are all undefined is not a failure).
    init(report: FairnessReport, json: String) {
        self.init(measures: report.numbers().map { FairnessMeasure(attribute: $0.attribute, group: $0.group, metric: $0.metric, value: $0.value) },
                  verdict: report.verdict == .fail ? .fail : .pass, body: json)
    }
}

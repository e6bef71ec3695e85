import Dataset
@testable import ModelZoo
@testable import Training
import XCTest

final class TargetRuleTests: XCTestCase {
    private func table(_ csv: String, categorical: Set<String> = []) throws -> Table { try CSV.parse(csv, categorical: categorical) }

    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    func testZeroOneAndTrueFalseNeedNoPositiveLevel() throws {
        let rule = TargetRule(column: "y", objective: .binary)
        let numeric = try table("y\n0\n1\n1\n")
        XCTAssertNil(try rule.levels(in: numeric))
        XCTAssertEqual(try rule.labels(numeric, levels: nil), [0, 1, 1])
        let boolean = try table("y\nTRUE\nfalse\nTrue\n")
        let levels = try XCTUnwrap(rule.levels(in: boolean))
        XCTAssertEqual(try rule.labels(boolean, levels: levels), [1, 0, 1])
    }

    func testTextLevelsNeedAPositiveLevelAndAreMappedByName() throws {
        let train = try table("Churn\nNo\nYes\nNo\n")
        let refusal = message { try TargetRule(column: "Churn", objective: .binary).levels(in: train) }
        XCTAssertEqual(refusal, "binary target 'Churn' has levels 'No', 'Yes'; pass --positive Yes (or positive: Yes in cluster.yaml) to say which is the positive class")
        let rule = TargetRule(column: "Churn", objective: .binary, positive: "Yes")
        let levels = try XCTUnwrap(rule.levels(in: train))
        XCTAssertEqual(levels, BinaryLevels(negative: "No", positive: "Yes"))
        XCTAssertEqual(try rule.labels(train, levels: levels), [0, 1, 0])
        let test = try table("Churn\nYes\nNo\nYes\n")
        XCTAssertEqual(try rule.labels(test, levels: levels), [1, 0, 1], "codes differ between files; names decide")
        XCTAssertEqual(try rule.labels(try table("Churn\nYes\nYes\n"), levels: levels), [1, 1], "a test file may hold one class")
        XCTAssertTrue(message { try rule.labels(try self.table("Churn\nYes\nMaybe\n"), levels: levels) }.contains("level 'Maybe' in data row 2"))
        XCTAssertTrue(message { try TargetRule(column: "Churn", objective: .binary, positive: "yes").levels(in: train) }
            .contains("--positive yes: binary target 'Churn' has no level 'yes'; its levels are 'No', 'Yes'"))
    }

    func testOneClassMissingValuesAndTextRegressionTargetsAreRefusedWithCounts() throws {
        let oneClass = try table("Churn\n" + String(repeating: "No\n", count: 5000))
        XCTAssertEqual(message { try TargetRule(column: "Churn", objective: .binary, positive: "Yes").levels(in: oneClass) },
                       "target 'Churn' has 1 class ('No': 5,000 rows); a binary model needs both")
        XCTAssertTrue(message { try TargetRule(column: "y", objective: .binary).levels(in: try self.table("y\n0\n0\n")) }
            .hasPrefix("target 'y' has 1 class ('0': 2 rows)"))
        let missing = try table("spend,x\n1,1\n,2\n2,3\nNA,4\n3,5\n")
        XCTAssertTrue(message { try TargetRule(column: "spend", objective: .regression).levels(in: missing) }
            .hasPrefix("target 'spend' has 2 missing values (data rows 2, 4); pass --drop-missing-target"))
        let (kept, dropped) = try TargetRule(column: "spend", objective: .regression).droppingMissing(missing)
        XCTAssertEqual(dropped, 2)
        XCTAssertEqual(try kept.numeric("spend"), [1, 2, 3])
        let text = try table("plan\na\nb\nc\na\n")
        XCTAssertEqual(message { try TargetRule(column: "plan", objective: .regression).levels(in: text) },
                       "regression target 'plan' is text (3 levels); it needs numbers")
        XCTAssertTrue(message { try TargetRule(column: "plan", objective: .binary).levels(in: text) }
            .hasPrefix("binary target 'plan' has 3 levels ('a', 'b', 'c')"))
        XCTAssertEqual(message { try TargetRule(column: "nope", objective: .binary).levels(in: text) }, "target column 'nope' is missing")
    }

    func testYesNoJobMatchesTheZeroOneJobAndStoresTheLevels() throws {
        let data = CustomerGenerator(rows: 3000, seed: 5).generate().customers
        let churn = try data.numeric("churn_30_day")
        var text = data
        // Levels in a different first-seen order in each half: codes alone would invert the labels.
        try text.set("churn_30_day", .categorical(codes: churn.enumerated().map { row, y in
            Int32(row < 2000 ? (y == 1 ? 1 : 0) : (y == 1 ? 0 : 1)) }, levels: ["No", "Yes"]))
        let train = text.rows(Array(0..<2000))
        var test = text.rows(Array(2000..<3000))
        try test.set("churn_30_day", .categorical(codes: churn[2000...].map { $0 == 1 ? 0 : 1 }, levels: ["Yes", "No"]))
        var parameters = GBDTParameters()
        parameters.trees = 30
        parameters.seed = 3
        let excluded = [CustomerSchema.idColumn, CustomerSchema.anomalyLabel] + CustomerSchema.targets + CustomerSchema.sensitive
        var spec = TrainingJobSpec(model: "m", kind: .gbdt, objective: .binary, target: "churn_30_day", excludedColumns: excluded,
                                   quantiles: [], parameters: parameters, role: .full, trainShards: [], evalShards: [])
        let numeric = try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: data.rows(Array(0..<2000)), eval: data.rows(Array(2000..<3000))))
        XCTAssertThrowsError(try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: train, eval: test)))
        spec.positiveLevel = "Yes"
        let named = try JobRunner.run(spec: spec, threads: 1, inputs: JobInputs(train: train, eval: test))
        XCTAssertEqual(try XCTUnwrap(named.report.metric("auc")), try XCTUnwrap(numeric.report.metric("auc")), accuracy: 1e-12)
        XCTAssertGreaterThan(try XCTUnwrap(named.report.metric("auc")), 0.7)
        let model = try TrainedModel.decode(named.artifact)
        XCTAssertEqual(model.header.binaryLevels, BinaryLevels(negative: "No", positive: "Yes"))
        XCTAssertNil(try TrainedModel.decode(numeric.artifact).header.binaryLevels)
    }
}

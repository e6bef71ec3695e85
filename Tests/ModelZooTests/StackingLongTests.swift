import Dataset
import Foundation
import XCTest
@testable import ModelZoo

/// The stacking ensemble over out-of-fold GBDT predictions on the full generated customers, built
/// as the pipeline builds it: churn, engagement and lifetime value GBDTs (5 folds each; a training
/// row reads the fold model that held it out, a test row the mean of the 5 fold models, churn as
/// log-odds), the anomaly score and each user's interaction count; the lift is measured against
/// a churn GBDT trained on all training rows (the registered churn model). Run with `ENGAGE_LONG_TESTS=1 swift test -c release --filter StackingLongTests`.
final class StackingLongTests: XCTestCase {
    override func setUpWithError() throws {
        try FullSizeData.require()
    }

    func testEnsembleAgainstTheChurnModelAlone() throws {
        let data = CustomerGenerator(rows: 100_000, seed: 42).generate()
        let customers = data.customers
        let churn = try customers.numeric("churn_30_day")
        let split = Splitter.stratified(labels: churn, testFraction: 0.2, seed: 42)
        let folds = Splitter.folds(labels: split.train.map { churn[$0] }, k: 5, seed: 42)
        let x = try FeatureMatrix(table: customers, features: CustomerSchema.featureNames)
        let targets: [(name: String, objective: ObjectiveKind, labels: [Double])] = [
            ("churn", .binary, churn),
            ("engagement", .regression, try customers.numeric("engagement_score")),
            ("lifetime_value", .regression, try customers.numeric("lifetime_value_usd").map { log1p($0) }),
        ]
        var parameters = GBDTParameters()
        parameters.trees = 150
        let clock = ContinuousClock()
        let start = clock.now
        var assembler = try OutOfFoldAssembler(trainRows: split.train, testRows: split.test)
        var testColumns = [[Double]]()
        let xTest = x.rows(split.test)
        var churnAlone = [Double]()
        for target in targets {
            let trainer = GBDTTrainer(objective: target.objective, parameters: parameters)
            let input = target.objective == .binary ? OutOfFoldAssembler.logOdds : { $0 }
            var testSum = [Double](repeating: 0, count: split.test.count)
            for fold in 0..<5 {
                let fit = split.train.indices.filter { folds[$0] != fold }.map { split.train[$0] }
                let held = split.train.indices.filter { folds[$0] == fold }.map { split.train[$0] }
                let model = try trainer.train(x.rows(fit), labels: fit.map { target.labels[$0] })
                try assembler.add(model: target.name, fold: fold, rows: held, predictions: try model.predict(x.rows(held)).map(input))
                for (i, value) in try model.predict(xTest).enumerated() { testSum[i] += value / 5 }
            }
            testColumns.append(testSum.map(input))
            if target.name == "churn" {
                churnAlone = try trainer.train(x.rows(split.train), labels: split.train.map { target.labels[$0] }).predict(xTest)
            }
        }
        // Unsupervised signals contribute their outputs directly (fitted on the training rows only).
        let detector = try AnomalyDetectorTrainer().fit(x.rows(split.train))
        let anomaly = try detector.score(x)
        var interactions = [Double](repeating: 0, count: customers.rowCount)
        for user in try data.interactions.numeric("user_id") { interactions[Int(user)] += 1 }
        for (name, values) in [("anomaly", anomaly), ("interactions", interactions)] {
            try assembler.add(model: name, fold: -1, rows: split.train, predictions: split.train.map { values[$0] })
            testColumns.append(split.test.map { values[$0] })
        }
        let outOfFold = try assembler.matrix()
        let test = try FeatureMatrix(names: outOfFold.names, columns: testColumns, isCategorical: outOfFold.names.map { _ in false })
        print(String(format: "base models and folds: %.1f s", (clock.now - start).seconds))
        let churnAUC = Metrics.auc(labels: split.test.map { churn[$0] }, scores: churnAlone)
        var reports = [String]()
        for kind in [MetaLearnerKind.logistic, .gbdt, .automatic] {
            var p = StackingParameters()
            p.metaLearner = kind
            let (model, evaluation) = try StackingTrainer(parameters: p).fitAndEvaluate(
                outOfFold: outOfFold, labels: split.train.map { churn[$0] }, test: test, testLabels: split.test.map { churn[$0] },
                reference: "churn")
            let selection = model.selection.map { String(format: "%@ CV AUC %.5f", $0.kind.rawValue, $0.auc) }.joined(separator: ", ")
            reports.append(String(format: "%@ → %@: test AUC %.5f (churn model %.5f, lift %+.5f; fold-mean churn input %.5f), log loss %.5f %@",
                                  kind.rawValue, evaluation.metaLearner.rawValue, evaluation.testAUC, churnAUC,
                                  evaluation.testAUC - churnAUC, evaluation.referenceAUC!, evaluation.testLogLoss, selection))
            if kind == .automatic { XCTAssertGreaterThanOrEqual(evaluation.testAUC, churnAUC) }
        }
        reports.forEach { print($0) }
    }
}

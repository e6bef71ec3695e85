import Foundation
import ModelZoo
import GRDB
@testable import Registry
import TestSupport
import XCTest

final class WhereExpressionTests: XCTestCase {
    private func comparison(_ field: WhereExpression.Field, _ op: WhereExpression.Operator, _ value: WhereExpression.Value,
                            _ column: Int) -> WhereExpression {
        .comparison(.init(field: field, op: op, value: value, column: column))
    }

    func testParsesPrecedenceParenthesesAndFields() throws {
        let parsed = try WhereExpression.parse("auc > 0.85 and created > 2026-11-01 or not (train.auc<=1e-1 AND stage = production)")
        let expected: WhereExpression = .or(
            .and(comparison(.metric(split: "test", name: "auc"), .greater, .number(0.85), 1),
                 comparison(.created, .greater, .day(start: "2026-11-01T00:00:00.000Z", end: "2026-11-02T00:00:00.000Z"), 16)),
            .not(.and(comparison(.metric(split: "train", name: "auc"), .lessOrEqual, .number(0.1), 45),
                      comparison(.stage, .equal, .text("production"), 65))))
        XCTAssertEqual(parsed, expected)

        XCTAssertEqual(try WhereExpression.parse("model = 'my model' and alias != champion and version >= -3"),
                       .and(.and(comparison(.model, .equal, .text("my model"), 1), comparison(.alias, .notEqual, .text("champion"), 24)),
                            comparison(.version, .greaterOrEqual, .number(-3), 46)))
        XCTAssertEqual(try WhereExpression.parse("created <= 2026-11-01T10:30Z"),
                       comparison(.created, .lessOrEqual, .instant("2026-11-01T10:30:00.000Z"), 1))
        XCTAssertEqual(try WhereExpression.parse("run == \"it\"\"s\" or disparate_impact <> 0.8"),
                       .or(comparison(.run, .equal, .text("it\"s"), 1), comparison(.disparateImpact, .notEqual, .number(0.8), 19)))
    }

    func testSyntaxErrorsNameTheColumn() {
        let cases: [(String, Int, String)] = [
            ("", 1, "the expression is empty"),
            ("auc 0.8", 5, "expected a comparison (>, >=, <, <=, =, !=) after 'auc', found '0.8'"),
            ("auc > 0.8 and", 14, "expected a field or metric name"),
            ("auc > high", 7, "'auc' compares with a number, found 'high'"),
            ("(auc > 0.8", 11, "missing ')' to close the '(' at column 1"),
            ("auc > 0.8)", 10, "unbalanced ')'"),
            ("auc > 0.8 version < 3", 11, "unexpected 'version' after a complete condition"),
            ("created > 2026-13-01", 11, "'created' compares with a date"),
            ("created > 2026-02-30", 11, "'created' compares with a date"),
            ("model > churn", 7, "'model' can only be compared with = or !="),
            ("stage = live", 9, "unknown stage 'live'"),
            ("fairness = ok", 12, "fairness is 'pass' or 'fail'"),
            ("a.b.c > 1", 1, "'a.b.c' is not a field name"),
            ("train.log_loss < 0.5", 1, "'log_loss' is not a metric that jobs report"),
            ("auc ! 1", 5, "'!' must be followed by '='"),
            ("model = 'churn", 9, "unterminated string"),
            ("()", 2, "empty parentheses"),
            ("auc > 0.8 and and", 15, "expected a condition, found the keyword 'and'"),
            ("auc > nan", 7, "compares with a number"),
        ]
        for (expression, column, fragment) in cases {
            XCTAssertThrowsError(try WhereExpression.parse(expression), expression) { error in
                guard let syntax = error as? WhereSyntaxError else { return XCTFail("\(expression): \(error)") }
                XCTAssertEqual(syntax.column, column, "\(expression): \(syntax.message)")
                XCTAssertTrue(syntax.message.contains(fragment), "\(expression): \(syntax.message)")
            }
        }
        let error = WhereSyntaxError(expression: "auc 0.8", column: 5, message: "m")
        XCTAssertEqual(error.description, "where-expression, column 5: m\n  auc 0.8\n      ^")
    }

    func testInjectionAttemptsAreRejectedOrBoundAsValues() throws {
        for attempt in ["auc > 0; DROP TABLE versions", "auc > 0 -- comment", "model = churn' OR '1'='1", "auc > 0.8 /* x */",
                        "model = `churn`", "auc > 0 UNION SELECT * FROM events"] {
            XCTAssertThrowsError(try WhereExpression.parse(attempt), attempt) { error in
                XCTAssertTrue(error is WhereSyntaxError, "\(attempt): \(error)")
            }
        }

        let hostile = "x' OR 1=1; DROP TABLE versions; --"
        let expression = try WhereExpression.parse("model = 'x'' OR 1=1; DROP TABLE versions; --' or alias = \"a\"\"); DELETE FROM events; --\"")
        let compiled = WhereCompiler.compile(expression)
        XCTAssertFalse(compiled.sql.contains("DROP") || compiled.sql.contains("DELETE") || compiled.sql.contains("1=1"), compiled.sql)
        XCTAssertEqual(compiled.arguments.compactMap { $0.flatMap { String.fromDatabaseValue($0.databaseValue) } },
                       [hostile, "a\"); DELETE FROM events; --"])

        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.register(Sample.version())
        XCTAssertEqual(try registry.versions(where: "model = 'x'' OR 1=1; DROP TABLE versions; --'"), [])
        XCTAssertEqual(try registry.versions().count, 1)
        XCTAssertEqual(try DirectAccess.rowCount("events", of: registry), 1)
    }

    func testMetricAndSplitNamesAreBoundToo() throws {
        let compiled = WhereCompiler.compile(try WhereExpression.parse("oof.auc >= 0.9 and version != 2 and created = 2026-11-01"))
        XCTAssertEqual(compiled.sql, "((v.id IN (SELECT version_id FROM metrics WHERE name = ? AND split = ? AND value >= ?) AND v.version <> ?)"
            + " AND (v.created_at >= ? AND v.created_at < ?))")
        XCTAssertEqual(compiled.arguments.count, 6)
    }

    func testQueriesSelectTheRightVersions() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        for (auc, impact) in [(0.80, 0.9), (0.86, 0.7), (0.90, 0.85), (0.88, 0.95)] {
            try registry.register(Sample.churn(auc: auc, impact: impact))
        }
        var nan = Sample.version(model: "engagement", artifact: "nan")
        nan.metrics = [MetricValue(split: "test", name: "auc", value: .nan), MetricValue(split: "test", name: "r2", value: 0.7)]
        nan.host = "gpu-1"
        try registry.register(nan)
        let policy = PromotionPolicy(config: PromotionConfig())
        try registry.promote(model: "churn", version: 3, to: .production, policy: policy)
        try registry.setAlias(model: "churn", alias: "champion", version: 4)
        try DirectAccess.execute("UPDATE versions SET created_at = '2026-10-31T23:59:59.999Z' WHERE model = 'churn' AND version = 1", on: registry)
        try DirectAccess.execute("UPDATE versions SET created_at = '2026-11-01T00:00:00.000Z' WHERE model = 'churn' AND version = 2", on: registry)
        try DirectAccess.execute("UPDATE versions SET created_at = '2026-11-02T00:00:00.000Z' WHERE model = 'churn' AND version >= 3", on: registry)
        try DirectAccess.execute("UPDATE versions SET created_at = '2026-11-05T08:00:00.000Z' WHERE model = 'engagement'", on: registry)

        func refs(_ expression: String, model: String? = nil) throws -> [String] {
            try registry.versions(model: model, where: expression).map(\.reference)
        }
        XCTAssertEqual(try refs("auc > 0.85"), ["churn@2", "churn@3", "churn@4"])
        XCTAssertEqual(try refs("auc > 0.85 and created > 2026-11-01"), ["churn@3", "churn@4"])
        XCTAssertEqual(try refs("created = 2026-11-01"), ["churn@2"])
        XCTAssertEqual(try refs("created >= 2026-11-01 and created <= 2026-11-01"), ["churn@2"])
        XCTAssertEqual(try refs("created < 2026-11-01"), ["churn@1"])
        XCTAssertEqual(try refs("created != 2026-11-01 and created < 2026-11-03"), ["churn@1", "churn@3", "churn@4"])
        XCTAssertEqual(try refs("created > 2026-11-05T07:59:59Z"), ["engagement@1"])
        XCTAssertEqual(try refs("oof.auc >= 0.86"), ["churn@3", "churn@4"])
        XCTAssertEqual(try refs("auc != 0.8"), ["churn@2", "churn@3", "churn@4"], "a NaN metric matches nothing")
        XCTAssertEqual(try refs("not auc > 0"), ["engagement@1"], "the NaN AUC is not > 0, so its negation holds")
        XCTAssertEqual(try refs("r2 > 0.5 or alias = champion"), ["churn@4", "engagement@1"])
        XCTAssertEqual(try refs("alias = production or alias = latest"), ["churn@3", "churn@4", "engagement@1"])
        XCTAssertEqual(try refs("stage = production"), ["churn@3"])
        XCTAssertEqual(try refs("stage != production and model = churn"), ["churn@1", "churn@2", "churn@4"])
        XCTAssertEqual(try refs("fairness = fail"), ["churn@2"])
        XCTAssertEqual(try refs("disparate_impact >= 0.85"), ["churn@1", "churn@3", "churn@4"])
        XCTAssertEqual(try refs("host = gpu-1"), ["engagement@1"])
        XCTAssertEqual(try refs("host != gpu-1"), ["churn@1", "churn@2", "churn@3", "churn@4"])
        XCTAssertEqual(try refs("version >= 2", model: "churn"), ["churn@2", "churn@3", "churn@4"])
        XCTAssertEqual(try refs("(version = 1 or version = 4) and (auc < 0.85 or alias = champion)"), ["churn@1", "churn@4"])
        XCTAssertEqual(try refs("objective = binary"), ["churn@1", "churn@2", "churn@3", "churn@4"])
    }
}

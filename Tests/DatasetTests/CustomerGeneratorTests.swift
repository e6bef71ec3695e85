import Foundation
import TestSupport
import XCTest
@testable import Dataset

/// One 20,000-row dataset shared by the generator tests, generated once.
private enum Fixture {
    static let rows = 20_000
    static let generated = CustomerGenerator(rows: rows, seed: 42).generateWithTruth()
    static var data: GeneratedData { generated.0 }
    static var truth: GeneratorTruth { generated.truth }
    static var customers: Table { generated.0.customers }
}

final class CustomerGeneratorTests: XCTestCase {
    typealias S = TestStatistics

    private func codes(_ table: Table, _ name: String) throws -> (codes: [Int32], levels: [String]) {
        guard case .categorical(let codes, let levels) = try table.column(name) else {
            throw TableError.missingColumn("\(name) is not categorical")
        }
        return (codes, levels)
    }

    func testSameSeedGivesEqualDataAndAnotherSeedDoesNot() {
        let a = CustomerGenerator(rows: 1_500, seed: 7, items: 300).generate()
        let b = CustomerGenerator(rows: 1_500, seed: 7, items: 300).generate()
        let c = CustomerGenerator(rows: 1_500, seed: 8, items: 300).generate()
        XCTAssertEqual(a.customers, b.customers)
        XCTAssertEqual(a.interactions, b.interactions)
        XCTAssertEqual(a.items, b.items)
        XCTAssertNotEqual(a.customers, c.customers)
        XCTAssertNotEqual(a.interactions, c.interactions)
        XCTAssertNotEqual(a.items, c.items)
    }

    func testShapesAndSchema() throws {
        let customers = Fixture.customers
        XCTAssertEqual(customers.rowCount, Fixture.rows)
        XCTAssertEqual(customers.names, CustomerSchema.allColumns)
        XCTAssertGreaterThanOrEqual(CustomerSchema.featureNames.count, 45)
        XCTAssertEqual(Set(CustomerSchema.featureNames).count, CustomerSchema.featureNames.count)
        XCTAssertTrue(Set(CustomerSchema.featureNames).isDisjoint(with: CustomerSchema.sensitive + CustomerSchema.targets
                + CustomerSchema.prohibited + [CustomerSchema.idColumn, CustomerSchema.anomalyLabel]))
        XCTAssertTrue(Set(customers.names).isDisjoint(with: CustomerSchema.prohibited))
        for name in CustomerSchema.featureNames {
            let isCategorical = try customers.column(name).isCategorical
            XCTAssertEqual(isCategorical, CustomerSchema.categoricalFeatures.contains(name), name)
            if isCategorical { XCTAssertEqual(try codes(customers, name).levels, CustomerSchema.levels(of: name), name) }
        }
        XCTAssertEqual(try codes(customers, "content_category_primary").levels.count, 12)
        for name in CustomerSchema.sensitive {
            XCTAssertTrue(try customers.column(name).isCategorical, name)
            XCTAssertFalse(try codes(customers, name).codes.contains(-1), name)
        }
        XCTAssertEqual(try customers.numeric(CustomerSchema.idColumn), (0..<Fixture.rows).map(Double.init))
        for name in CustomerSchema.targets + [CustomerSchema.anomalyLabel] {
            XCTAssertFalse(try customers.numeric(name).contains { $0.isNaN }, name)
        }
    }

    func testEngagementIsBoundedAndItsSignalExplainsAbout90Percent() throws {
        let engagement = try Fixture.customers.numeric("engagement_score")
        XCTAssertTrue(engagement.allSatisfy { $0 >= 0 && $0 <= 1 })
        let r2 = S.rSquared(actual: engagement, predicted: Fixture.truth.engagementMean)
        XCTAssertTrue((0.85...0.95).contains(r2), "oracle R² \(r2)")
        XCTAssertGreaterThan(S.variance(engagement), 0.03)
    }

    func testChurnRateAndOracleAUC() throws {
        let churn = try Fixture.customers.numeric("churn_30_day")
        XCTAssertTrue(churn.allSatisfy { $0 == 0 || $0 == 1 })
        let rate = S.mean(churn)
        XCTAssertTrue((0.2...0.3).contains(rate), "churn rate \(rate)")
        let auc = S.auc(scores: Fixture.truth.churnProbability, labels: churn)
        XCTAssertTrue((0.86...0.94).contains(auc), "oracle AUC \(auc)")
        XCTAssertEqual(S.mean(Fixture.truth.churnProbability), rate, accuracy: 0.015)
    }

    func testTargetsDependOnFeaturesNonLinearly() throws {
        // Engagement saturates in sessions: the gain from 0→5 sessions exceeds the gain from 15→20.
        let sessions = try Fixture.customers.numeric("sessions_per_week")
        let truth = Fixture.truth.engagementMean
        func meanTruth(_ range: ClosedRange<Double>) -> Double {
            S.mean(sessions.indices.filter { range.contains(sessions[$0]) }.map { truth[$0] })
        }
        XCTAssertGreaterThan(meanTruth(5...5) - meanTruth(0...0), meanTruth(20...25) - meanTruth(15...15))
        // Churn jumps once the last login is more than two weeks ago.
        let lastLogin = try Fixture.customers.numeric("days_since_last_login")
        let churn = try Fixture.customers.numeric("churn_30_day")
        let recent = lastLogin.indices.filter { (8...14).contains(lastLogin[$0]) }.map { churn[$0] }
        let lapsed = lastLogin.indices.filter { (15...21).contains(lastLogin[$0]) }.map { churn[$0] }
        XCTAssertGreaterThan(S.mean(lapsed), S.mean(recent) + 0.1)
    }

    func testLifetimeValueIsSkewedHeteroscedasticAndItsQuantilesAreTrue() throws {
        let value = try Fixture.customers.numeric("lifetime_value_usd")
        XCTAssertTrue(value.allSatisfy { $0 > 0 })
        XCTAssertGreaterThan(S.skewness(value), 1)
        let truth = Fixture.truth
        let order = truth.lifetimeValueLogMean.indices.sorted { truth.lifetimeValueLogMean[$0] < truth.lifetimeValueLogMean[$1] }
        func spread(_ rows: ArraySlice<Int>) -> Double {
            S.variance(rows.map { Foundation.log(value[$0]) - truth.lifetimeValueLogMean[$0] }).squareRoot()
        }
        let quarter = order.count / 4
        XCTAssertGreaterThan(spread(order[(3 * quarter)...]), 1.5 * spread(order[..<quarter]))
        for q in [0.1, 0.5, 0.9] {
            let bound = truth.lifetimeValueQuantile(q)
            let covered = S.mean(zip(value, bound).map { $0 <= $1 ? 1 : 0 })
            XCTAssertEqual(covered, q, accuracy: 0.015, "P\(Int(q * 100))")
        }
    }

    func testSomeFeaturesHaveAFewMissingValues() throws {
        var withMissing = 0
        for name in CustomerSchema.featureNames {
            let column = try Fixture.customers.column(name)
            let missing: Int
            switch column {
            case .numeric(let values): missing = values.filter(\.isNaN).count
            case .categorical(let codes, _): missing = codes.filter { $0 < 0 }.count
            }
            let share = Double(missing) / Double(Fixture.rows)
            XCTAssertLessThan(share, 0.03, name)
            if share > 0.005 { withMissing += 1 }
        }
        XCTAssertGreaterThanOrEqual(withMissing, 5)
    }

    func testFeaturesAreHeavyTailedAndCorrelatedThroughLatentTraits() throws {
        let connections = try Fixture.customers.numeric("connections").sorted()
        XCTAssertGreaterThan(connections.last! / connections[connections.count / 2], 50)
        // Power law: the share above x falls roughly like x^-1.5 (the tail exponent).
        let above100 = Double(connections.filter { $0 >= 100 }.count)
        let above1000 = Double(connections.filter { $0 >= 1_000 }.count)
        XCTAssertEqual(Foundation.log10(above100 / above1000), 1.5, accuracy: 0.35)
        XCTAssertGreaterThan(S.skewness(try Fixture.customers.numeric("likes_received_30d")), 5)

        let sessions = try Fixture.customers.numeric("sessions_per_week")
        let active = try Fixture.customers.numeric("active_days_30d")
        XCTAssertGreaterThan(S.correlation(sessions.map { Foundation.log1p($0) }, active), 0.3)
        let trust = try Fixture.customers.numeric("trust_score")
        let consistency = try Fixture.customers.numeric("session_consistency_score")
        XCTAssertGreaterThan(S.correlation(trust, consistency), 0.2)
    }

    func testSensitiveAttributesAreOnlyMildlyRelatedToFeatures() throws {
        let customers = Fixture.customers
        var strongest = 0.0
        for attribute in CustomerSchema.sensitive {
            let groups = try codes(customers, attribute).codes
            for name in CustomerSchema.featureNames {
                let association: Double
                switch try customers.column(name) {
                case .numeric(let values): association = S.correlationRatio(values, groups: groups)
                case .categorical(let featureCodes, _): association = S.cramersV(featureCodes, groups)
                }
                XCTAssertLessThan(association, 0.6, "\(name) vs \(attribute)")
                strongest = max(strongest, association)
            }
        }
        XCTAssertGreaterThan(strongest, 0.05, "sensitive attributes should not be independent of everything")
    }

    func testAboutOnePercentAnomaliesThatLookAbnormal() throws {
        let customers = Fixture.customers
        let label = try customers.numeric(CustomerSchema.anomalyLabel)
        let rate = S.mean(label)
        XCTAssertTrue((0.006...0.014).contains(rate), "anomaly rate \(rate)")
        let anomalies = label.indices.filter { label[$0] == 1 }
        let normal = label.indices.filter { label[$0] == 0 }
        func median(_ name: String, _ rows: [Int]) throws -> Double {
            let values = try customers.numeric(name)
            let sorted = rows.map { values[$0] }.sorted()
            return sorted[sorted.count / 2]
        }
        XCTAssertLessThanOrEqual(try median("account_age_days", anomalies), 30)
        XCTAssertGreaterThan(try median("account_age_days", normal), 100)
        XCTAssertLessThan(try median("connections", anomalies), 5)
        XCTAssertLessThan(try median("profile_completeness", anomalies), 0.2)
        let verified = try customers.numeric("email_verified")
        XCTAssertLessThan(S.mean(anomalies.map { verified[$0] }), 0.3)
    }

    func testInteractionsAreOrderedHeavyTailedAndPersonal() throws {
        let interactions = Fixture.data.interactions
        XCTAssertEqual(interactions.names, ["user_id", "item_id", "timestamp"])
        let users = try interactions.numeric("user_id").map { Int($0) }
        let items = try interactions.numeric("item_id").map { Int($0) }
        let times = try interactions.numeric("timestamp")
        let perUser = Double(interactions.rowCount) / Double(Fixture.rows)
        XCTAssertTrue((8...12).contains(perUser), "\(perUser) per user")

        var counts = [Int](repeating: 0, count: Fixture.rows)
        var seen = Set<Int>()
        for k in users.indices {
            XCTAssertEqual(times[k], times[k].rounded())
            if k > 0 && users[k] == users[k - 1] {
                XCTAssertGreaterThan(times[k], times[k - 1])
            } else {
                XCTAssertTrue(k == 0 || users[k] > users[k - 1], "interactions grouped by user")
                seen.removeAll(keepingCapacity: true)
            }
            XCTAssertTrue(seen.insert(items[k]).inserted, "user \(users[k]) repeats item \(items[k])")
            XCTAssertTrue((0..<2_000).contains(items[k]))
            counts[users[k]] += 1
        }
        XCTAssertGreaterThanOrEqual(counts.min()!, 2)
        XCTAssertGreaterThan(Double(counts.max()!), 5 * perUser)

        var popularity = [Int](repeating: 0, count: 2_000)
        for item in items { popularity[item] += 1 }
        let top = popularity.sorted(by: >).prefix(20).reduce(0, +)
        XCTAssertGreaterThan(Double(top) / Double(items.count), 0.10, "top 1% of items")

        let itemCategory = try codes(Fixture.data.items, "category").codes
        let primary = try codes(Fixture.customers, "content_category_primary").codes
        let own = users.indices.filter { primary[users[$0]] >= 0 }
        let ownShare = S.mean(own.map { itemCategory[items[$0]] == primary[users[$0]] ? 1 : 0 })
        XCTAssertGreaterThan(ownShare, 0.45)
    }

    /// Leave the last interaction of each user out and rank it among 99 random unseen
    /// items: popularity among users of the same taste cluster and primary category
    /// must beat global popularity clearly, so a personalised model has something to learn.
    func testPersonalisedPopularityBeatsGlobalPopularity() throws {
        let users = try Fixture.data.interactions.numeric("user_id").map { Int($0) }
        let items = try Fixture.data.interactions.numeric("item_id").map { Int($0) }
        let primary = try codes(Fixture.customers, "content_category_primary").codes
        let cluster = Fixture.truth.tasteCluster
        var held: [Int: Int] = [:]
        for k in users.indices { held[users[k]] = k }
        let heldRows = Set(held.values)
        var global = [Double](repeating: 0, count: 2_000)
        var byGroup: [Int: [Double]] = [:]
        var seenBy = [Set<Int>](repeating: [], count: Fixture.rows)
        for k in users.indices where !heldRows.contains(k) {
            global[items[k]] += 1
            byGroup[cluster[users[k]] * 16 + Int(primary[users[k]]), default: [Double](repeating: 0, count: 2_000)][items[k]] += 1
            seenBy[users[k]].insert(items[k])
        }
        var random = SeededRandom(seed: 1)
        var hitsGlobal = 0, hitsPersonal = 0, evaluated = 0
        for (user, k) in held where primary[user] >= 0 && evaluated < 5_000 {
            evaluated += 1
            let target = items[k]
            var candidates: [Int] = []
            while candidates.count < 99 {
                let j = random.index(below: 2_000)
                if j != target && !seenBy[user].contains(j) { candidates.append(j) }
            }
            let group = byGroup[cluster[user] * 16 + Int(primary[user])] ?? global
            if candidates.filter({ global[$0] > global[target] }).count < 10 { hitsGlobal += 1 }
            if candidates.filter({ group[$0] > group[target] }).count < 10 { hitsPersonal += 1 }
        }
        let global10 = Double(hitsGlobal) / Double(evaluated), personal10 = Double(hitsPersonal) / Double(evaluated)
        XCTAssertGreaterThan(personal10, global10 + 0.08, "HR@10 personal \(personal10) vs global \(global10)")
    }

    func testItemsHaveCategoriesAndInformativeTitles() throws {
        let catalogue = Fixture.data.items
        XCTAssertEqual(catalogue.names, ["item_id", "category", "title"])
        XCTAssertEqual(catalogue.rowCount, 2_000)
        XCTAssertEqual(try catalogue.numeric("item_id"), (0..<2_000).map(Double.init))
        let (categoryCodes, categoryLevels) = try codes(catalogue, "category")
        XCTAssertEqual(categoryLevels, CustomerSchema.contentCategories)
        XCTAssertEqual(Set(categoryCodes).count, 12)
        let (titleCodes, titleLevels) = try codes(catalogue, "title")
        let titles = titleCodes.map { titleLevels[Int($0)].lowercased().split(separator: " ").map(String.init) }
        XCTAssertTrue(titles.allSatisfy { (3...6).contains($0.count) })
        // The word most typical of each category is far more frequent inside it than outside.
        for category in 0..<12 {
            let inside = titles.indices.filter { categoryCodes[$0] == Int32(category) }
            let outside = titles.indices.filter { categoryCodes[$0] != Int32(category) }
            var frequency: [String: Int] = [:]
            for i in inside { for word in Set(titles[i]) { frequency[word, default: 0] += 1 } }
            var outsideFrequency: [String: Int] = [:]
            for i in outside { for word in Set(titles[i]) { outsideFrequency[word, default: 0] += 1 } }
            let best = frequency.max { a, b in
                Double(a.value) / Double(1 + outsideFrequency[a.key, default: 0]) < Double(b.value) / Double(1 + outsideFrequency[b.key, default: 0])
            }!
            let insideRate = Double(best.value) / Double(inside.count)
            let outsideRate = Double(outsideFrequency[best.key, default: 0]) / Double(outside.count)
            XCTAssertGreaterThan(insideRate, 0.15, "category \(category)")
            XCTAssertLessThan(outsideRate, insideRate / 5, "category \(category), word \(best.key)")
        }
    }

    func testWriteProducesThreeReadableCSVFiles() throws {
        let temporary = try TemporaryDirectory("gen")
        let directory = temporary.file("out")
        let data = CustomerGenerator(rows: 400, seed: 3, items: 50).generate()
        try data.write(to: directory)
        let forced = Set(CustomerSchema.categoricalFeatures + CustomerSchema.sensitive)
        let customers = try CSV.read(path: (directory as NSString).appendingPathComponent("customers.csv"), categorical: forced)
        XCTAssertEqual(customers.names, data.customers.names)
        XCTAssertEqual(customers.rowCount, 400)
        for (name, original) in zip(data.customers.names, data.customers.columns) {
            let back = try customers.column(name)
            switch (original, back) {
            case (.numeric, .numeric):
                XCTAssertEqual(back, original, name)
            case (.categorical(let a, let levelsA), .categorical(let b, let levelsB)):
                XCTAssertEqual(a.map { $0 < 0 ? nil : levelsA[Int($0)] }, b.map { $0 < 0 ? nil : levelsB[Int($0)] }, name)
            default:
                XCTFail("\(name) changed kind")
            }
        }
        let interactions = try CSV.read(path: (directory as NSString).appendingPathComponent("interactions.csv"))
        XCTAssertEqual(interactions, data.interactions)
        let items = try CSV.read(path: (directory as NSString).appendingPathComponent("items.csv"))
        XCTAssertEqual(items.rowCount, 50)
        XCTAssertEqual(try items.numeric("item_id"), try data.items.numeric("item_id"))
    }
}

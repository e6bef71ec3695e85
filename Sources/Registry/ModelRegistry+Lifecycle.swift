import Foundation
import GRDB

/// Stages and aliases: gated promotion, rollback, archiving and alias changes, each
/// one IMMEDIATE transaction that also writes its audit-log entry.
extension ModelRegistry {
    /// Promotes a version to `staging` or `production` if every gate of `policy` passes.
    ///
    /// The version that held the stage before goes back to `none`. A failed gate
    /// refuses the promotion, logs a `refused` event and throws ``PromotionRefused``;
    /// `force` with a non-empty `reason` overrides failed gates and logs a `forced` event.
    /// Gates are evaluated inside the write transaction, against the production version
    /// of that moment.
    @discardableResult
    public func promote(model: String, version: Int, to target: Stage, policy: PromotionPolicy,
                        force: Bool = false, reason: String? = nil) throws -> PromotionDecision {
        try requireWritable()
        guard Stage.promotable.contains(target) else {
            throw RegistryError.invalid("a version is promoted to staging or production, not \(target.rawValue); use archive to archive it")
        }
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if force, reason?.isEmpty ?? true {
            throw RegistryError.invalid("--force needs --reason TEXT: an override of the promotion gates is logged with its reason")
        }
        let actor = self.actor
        let result: Result<PromotionDecision, PromotionRefused> = try pool.write { db in
            let candidate = try Self.fetchVersion(model: model, version: version, db)
            switch (candidate.stage, target) {
            case (.archived, _):
                throw RegistryError.invalid("\(candidate.reference) is archived and cannot be promoted")
            case (let stage, _) where stage == target:
                throw RegistryError.invalid("\(candidate.reference) is already in \(target.rawValue)")
            case (.production, .staging):
                throw RegistryError.invalid("\(candidate.reference) is in production; promote another version or roll back instead of demoting it")
            default:
                break
            }
            let id = try Self.versionID(model: model, version: version, db)
            let production = try Self.holder(of: .production, model: model, db)
            let context = PromotionContext(candidate: candidate, importance: try Self.importance(versionID: id, db),
                                           fairness: try Self.fairness(versionID: id, db), production: production, target: target)
            let gates = policy.evaluate(context)
            let failed = gates.filter { !$0.passed }

            if !failed.isEmpty, !force {
                let why = failed.map { "[\($0.gate)] \($0.detail)" }.joined(separator: "; ")
                let event = try Self.log(db, model: model, version: version, action: .refused, actor: actor,
                                         from: candidate.stage.rawValue, to: target.rawValue, reason: why,
                                         detail: PromotionDetail(gates: gates, replaced: nil, production: production?.version))
                return .failure(PromotionRefused(decision: PromotionDecision(
                    model: model, version: version, from: candidate.stage, to: target, outcome: .refused,
                    gates: gates, replaced: nil, reason: why, eventID: event)))
            }

            let replaced = try Self.holder(of: target, model: model, db)?.version
            if let replaced {
                try db.execute(sql: "UPDATE versions SET stage = 'none' WHERE model = ? AND version = ?", arguments: [model, replaced])
            }
            try db.execute(sql: "UPDATE versions SET stage = ? WHERE id = ?", arguments: [target.rawValue, id])
            let outcome: PromotionDecision.Outcome = failed.isEmpty ? .accepted : .forced
            let event = try Self.log(db, model: model, version: version, action: outcome == .forced ? .forced : .promoted,
                                     actor: actor, from: candidate.stage.rawValue, to: target.rawValue, reason: reason,
                                     detail: PromotionDetail(gates: gates, replaced: replaced, production: production?.version))
            return .success(PromotionDecision(model: model, version: version, from: candidate.stage, to: target, outcome: outcome,
                                              gates: gates, replaced: replaced, reason: reason, eventID: event))
        }
        return try result.get()
    }

    /// Puts production back on the version that was in production before the last
    /// promotion to production (or before the last rollback's target was promoted),
    /// and logs a `rollback` event. Gates are not consulted: a rollback restores a
    /// version that already passed them.
    @discardableResult
    public func rollback(model: String, reason: String? = nil) throws -> RollbackResult {
        try requireWritable()
        let actor = self.actor
        return try pool.write { db in
            try Self.requireModel(model, db)
            guard let current = try Self.holder(of: .production, model: model, db) else {
                throw RegistryError.invalid("\(model) has no version in production to roll back")
            }
            let lineage = try Self.productionLineage(model: model, db)
            guard lineage.last == current.version, lineage.count >= 2 else {
                throw RegistryError.invalid("\(current.reference) has no earlier production version to roll back to")
            }
            let previous = lineage[lineage.count - 2]
            let target = try Self.fetchVersion(model: model, version: previous, db)
            guard target.stage != .archived else {
                throw RegistryError.invalid("cannot roll back to \(target.reference): it has been archived; promote another version instead")
            }
            try db.execute(sql: "UPDATE versions SET stage = 'none' WHERE model = ? AND version = ?", arguments: [model, current.version])
            try db.execute(sql: "UPDATE versions SET stage = 'production' WHERE model = ? AND version = ?", arguments: [model, previous])
            let event = try Self.log(db, model: model, version: previous, action: .rollback, actor: actor,
                                     from: String(current.version), to: String(previous), reason: reason,
                                     detail: RollbackDetail(previousStage: target.stage.rawValue))
            return RollbackResult(model: model, from: current.version, to: previous, eventID: event)
        }
    }

    /// Archives a version: stage `archived`, its aliases removed. The production
    /// version cannot be archived; promote or roll back to another first.
    public func archive(model: String, version: Int, reason: String? = nil) throws {
        try requireWritable()
        let actor = self.actor
        try pool.write { db in
            let target = try Self.fetchVersion(model: model, version: version, db)
            switch target.stage {
            case .archived:
                throw RegistryError.invalid("\(target.reference) is already archived")
            case .production:
                throw RegistryError.invalid("\(target.reference) is in production; promote another version or roll back before archiving it")
            case .none, .staging:
                break
            }
            try db.execute(sql: "DELETE FROM aliases WHERE model = ? AND version = ?", arguments: [model, version])
            try db.execute(sql: "UPDATE versions SET stage = 'archived', status = 'archived' WHERE model = ? AND version = ?",
                           arguments: [model, version])
            _ = try Self.log(db, model: model, version: version, action: .archived, actor: actor,
                             from: target.stage.rawValue, to: Stage.archived.rawValue, reason: reason,
                             detail: ArchiveDetail(removedAliases: target.aliases))
        }
    }

    /// Points `alias` (`champion`, `challenger`, any name but a stage or `latest`) at a
    /// version, moving it from the version it named before; logged as an `alias` event.
    public func setAlias(model: String, alias: String, version: Int, reason: String? = nil) throws {
        try requireWritable()
        try AliasName.validate(alias)
        let actor = self.actor
        try pool.write { db in
            let target = try Self.fetchVersion(model: model, version: version, db)
            guard target.stage != .archived else {
                throw RegistryError.invalid("\(target.reference) is archived; an alias may not point at it")
            }
            let previous = try Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            guard previous != version else {
                throw RegistryError.invalid("\(model)@\(alias) already is \(target.reference)")
            }
            try db.execute(sql: """
                INSERT INTO aliases (model, alias, version, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, arguments: [model, alias, version, StoredDate.encode(Date())])
            _ = try Self.log(db, model: model, version: version, action: .alias, actor: actor,
                             from: previous.map(String.init), to: String(version), reason: reason,
                             detail: AliasDetail(alias: alias))
        }
    }

    /// The version holding a stage, if any.
    static func holder(of stage: Stage, model: String, _ db: Database) throws -> ModelVersion? {
        try VersionReader.fetch(db, "WHERE v.model = ? AND v.stage = ?", arguments: [model, stage.rawValue]).first
    }

    /// The production versions in the order they took over, with each rollback
    /// undoing the promotion before it: the last element is the current one.
    static func productionLineage(model: String, _ db: Database) throws -> [Int] {
        var lineage: [Int] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT action, version FROM events
            WHERE model = ? AND (action = 'rollback' OR (action IN ('promoted', 'forced') AND to_value = 'production'))
            ORDER BY id
            """, arguments: [model]) {
            let action: String = row["action"]
            if action == RegistryEvent.Action.rollback.rawValue {
                lineage.removeLast(min(1, lineage.count))
            } else {
                lineage.append(row["version"])
            }
        }
        return lineage
    }

    static func log<Detail: Encodable>(_ db: Database, model: String, version: Int?, action: RegistryEvent.Action, actor: String,
                                       from: String?, to: String?, reason: String?, detail: Detail) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO events (model, version, action, actor, at, from_value, to_value, reason, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [model, version, action.rawValue, actor, StoredDate.encode(Date()), from, to, reason, try JSON.text(detail)])
        return db.lastInsertedRowID
    }
}

/// What ``ModelRegistry/rollback(model:reason:)`` did.
public struct RollbackResult: Codable, Sendable, Equatable {
    public var model: String
    /// The version that left production.
    public var from: Int
    /// The version back in production.
    public var to: Int
    public var eventID: Int64
}

private struct PromotionDetail: Encodable {
    var gates: [GateResult]
    var replaced: Int?
    var production: Int?
}

private struct RollbackDetail: Encodable {
    var previousStage: String
    enum CodingKeys: String, CodingKey { case previousStage = "previous_stage" }
}

private struct ArchiveDetail: Encodable {
    var removedAliases: [String]
    enum CodingKeys: String, CodingKey { case removedAliases = "removed_aliases" }
}

private struct AliasDetail: Encodable {
    var alias: String
}

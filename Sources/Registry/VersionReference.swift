/// A way of naming one version of a model: `churn`, `churn@3`, `churn@production`,
/// `churn@latest` or `churn@champion`.
///
/// Exists so that the CLI, `engage predict` and the registry agree on what a
/// reference means: a number is a version, `production` and `staging` are stages,
/// `latest` is the highest version, and any other name is an alias.
public struct VersionReference: Sendable, Equatable, CustomStringConvertible {
    /// What follows the `@`.
    public enum Selector: Sendable, Equatable {
        case latest
        case number(Int)
        case stage(Stage)
        case alias(String)
    }

    public var model: String
    public var selector: Selector

    public init(model: String, selector: Selector) {
        self.model = model
        self.selector = selector
    }

    /// Parses `MODEL[@VERSION|@STAGE|@ALIAS]`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        try Validation.modelName(parts[0])
        model = parts[0]
        guard parts.count == 2 else {
            selector = .latest
            return
        }
        let name = parts[1]
        if let number = Int(name) {
            guard number >= 1 else { throw RegistryError.invalid("'\(text)': versions are numbered from 1") }
            selector = .number(number)
        } else if name == "latest" {
            selector = .latest
        } else if let stage = Stage(rawValue: name), Stage.promotable.contains(stage) {
            selector = .stage(stage)
        } else {
            try AliasName.validate(name)
            selector = .alias(name)
        }
    }

    public var description: String {
        switch selector {
        case .latest: return model
        case .number(let number): return "\(model)@\(number)"
        case .stage(let stage): return "\(model)@\(stage.rawValue)"
        case .alias(let alias): return "\(model)@\(alias)"
        }
    }
}

/// The rules for alias names, which share the `model@…` notation with versions and stages.
enum AliasName {
    /// Names that mean something else after the `@`.
    static let reserved: Set<String> = ["latest", "none", "staging", "production", "archived"]

    static func validate(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed else {
            throw RegistryError.invalid("alias '\(name)' must be 1–64 letters, digits, '_', '-' or '.'")
        }
        guard Int(name) == nil else {
            throw RegistryError.invalid("alias '\(name)' is a number, which would name a version; choose a word")
        }
        guard !reserved.contains(name) else {
            throw RegistryError.invalid("'\(name)' is not an alias: \(name == "latest" ? "it names the newest version" : "it is a stage; use promote, rollback or archive")")
        }
    }
}

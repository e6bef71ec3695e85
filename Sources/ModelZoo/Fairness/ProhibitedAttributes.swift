import Foundation
import Dataset

/// Refuses a prohibited attribute (`CustomerSchema.prohibited`) used as a feature.
///
/// Exists so that training never starts on data it must not use. Names are compared after
/// folding case and treating spaces and hyphens as underscores, so `Race`, `marital-status` and
/// `National Origin` are refused as well as the schema's spelling.
public enum ProhibitedAttributes {
    /// Throws `FairnessError.prohibitedFeature` for the first prohibited name among `features`.
    public static func check(features: [String]) throws {
        if let (column, attribute) = matches(in: features).first {
            throw FairnessError.prohibitedFeature(column: column, attribute: attribute)
        }
    }

    /// Every feature that is a prohibited attribute, with the attribute it matched, in feature order.
    public static func matches(in features: [String]) -> [(column: String, attribute: String)] {
        let prohibited = Set(CustomerSchema.prohibited)
        return features.compactMap { feature in
            let key = normalized(feature)
            return prohibited.contains(key) ? (feature, key) : nil
        }
    }

    static func normalized(_ name: String) -> String {
        String(name.trimmingCharacters(in: .whitespaces).lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }
}

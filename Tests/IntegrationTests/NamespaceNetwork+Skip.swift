import TestSupport
import XCTest

extension NamespaceNetwork {
    /// ``create(workers:)``, turning "not possible here" into a skip with the reason.
    static func createOrSkip(workers: Int = 2) throws -> NamespaceNetwork {
        do {
            return try create(workers: workers)
        } catch let unavailable as Unavailable {
            throw XCTSkip(unavailable.description)
        }
    }
}

/// The version of engage, recorded as lineage of every registered model and sent in HELLO.
public enum EngageVersion {
    public static let current = "0.1.0"
}
